package dev.flint.virtio.mmio;

import dev.flint.virtio.VirtioDevice;
import dev.flint.virtio.queue.Virtqueue;
import dev.flint.virtio.queue.VirtqueueException;
import dev.flint.virtio.queue.VirtqueueState;
import dev.flint.vmm.devices.BusDevice;
import dev.flint.vmm.memory.GuestMemory;
import dev.flint.vmm.snapshot.SnapshotException;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import java.util.logging.Level;
import java.util.logging.Logger;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;

/**
 * The virtio-mmio transport, version 2 (virtio 1.x, 4.2.2): the register page the guest driver
 * programs, feature negotiation, queue setup, status and reset, and the interrupt status the
 * driver acknowledges. Register accesses arrive on vCPU threads; queue work does not happen
 * here but in the device, on the event loop, through {@link #run}.
 *
 * <p>A device that fails (a RuntimeException from its work, or a driver that broke a queue's
 * rules) is stopped alone, as virtio 1.x (2.1.2) provides: the transport sets
 * DEVICE_NEEDS_RESET, raises a configuration-change interrupt, logs the failure once and runs
 * none of the device's work until the driver resets it; the VM and its other devices go on.
 * An {@link Error} (OutOfMemoryError...) is not contained: it ends the VM.
 */
public final class VirtioMmioTransport implements BusDevice {
    private static final Logger LOG = Logger.getLogger(VirtioMmioTransport.class.getName());

    static final int MAGIC = 0x000;
    static final int VERSION = 0x004;
    static final int DEVICE_ID = 0x008;
    static final int VENDOR_ID = 0x00c;
    static final int DEVICE_FEATURES = 0x010;
    static final int DEVICE_FEATURES_SEL = 0x014;
    static final int DRIVER_FEATURES = 0x020;
    static final int DRIVER_FEATURES_SEL = 0x024;
    static final int QUEUE_SEL = 0x030;
    static final int QUEUE_NUM_MAX = 0x034;
    static final int QUEUE_NUM = 0x038;
    static final int QUEUE_READY = 0x044;
    public static final int QUEUE_NOTIFY = 0x050;
    static final int INTERRUPT_STATUS = 0x060;
    static final int INTERRUPT_ACK = 0x064;
    static final int STATUS = 0x070;
    static final int QUEUE_DESC_LOW = 0x080;
    static final int QUEUE_DESC_HIGH = 0x084;
    static final int QUEUE_DRIVER_LOW = 0x090;
    static final int QUEUE_DRIVER_HIGH = 0x094;
    static final int QUEUE_DEVICE_LOW = 0x0a0;
    static final int QUEUE_DEVICE_HIGH = 0x0a4;
    static final int CONFIG_GENERATION = 0x0fc;
    static final int CONFIG = 0x100;

    static final int MAGIC_VALUE = 0x74726976;
    /** "FLNT", little-endian. */
    static final int VENDOR = 0x544e4c46;

    static final int STATUS_FEATURES_OK = 8;
    static final int STATUS_DRIVER_OK = 4;
    static final int STATUS_NEEDS_RESET = 0x40;
    static final int INTERRUPT_USED = 1;
    static final int INTERRUPT_CONFIG = 2;

    /** What the driver programmed for one queue. */
    private static final class QueueSetup {
        int size;
        boolean ready;
        long desc;
        long driver;
        long device;
    }

    private final VirtioDevice device;
    private final GuestMemory memory;
    private final Runnable raiseInterrupt;
    private final AtomicInteger interruptStatus = new AtomicInteger();
    private final List<QueueSetup> queues = new ArrayList<>();
    /** The queues the device was activated with (DRIVER_OK); empty before, and after a reset. */
    private List<Virtqueue> active = List.of();
    private IntConsumer notifier;
    /** Set when the device failed (the status register's DEVICE_NEEDS_RESET); cleared by the driver's reset. */
    private final AtomicBoolean failed = new AtomicBoolean();
    private int status;
    private int deviceFeaturesSel;
    private int driverFeaturesSel;
    private long driverFeatures;
    private int queueSel;

    /**
     * @param raiseInterrupt signals the device's interrupt line (an irqfd), after the transport
     *                       set the interrupt status bits
     * @param notifier       takes a queue index the driver notified through the register (in
     *                       production ioeventfd catches those writes before they get here)
     */
    public VirtioMmioTransport(VirtioDevice device, GuestMemory memory, Runnable raiseInterrupt, IntConsumer notifier) {
        this.device = device;
        this.memory = memory;
        this.raiseInterrupt = raiseInterrupt;
        this.notifier = notifier;
        resetQueues();
    }

    public VirtioDevice device() {
        return device;
    }

    private long offeredFeatures() {
        return device.features() | VirtioDevice.F_VERSION_1;
    }

    private void resetQueues() {
        queues.clear();
        for (int i = 0; i < device.queueCount(); i++) {
            queues.add(new QueueSetup());
        }
    }

    private QueueSetup selected() {
        return queueSel < queues.size() ? queues.get(queueSel) : null;
    }

    @Override
    public synchronized void read(long offset, MemorySegment data) {
        if (offset >= CONFIG) {
            device.readConfig(offset - CONFIG, data);
            return;
        }
        data.fill((byte) 0);
        if (data.byteSize() != 4) {
            return;
        }
        QueueSetup queue = selected();
        int value = switch ((int) offset) {
            case MAGIC -> MAGIC_VALUE;
            case VERSION -> 2;
            case DEVICE_ID -> device.deviceId();
            case VENDOR_ID -> VENDOR;
            case DEVICE_FEATURES -> deviceFeaturesSel > 1 ? 0 : (int) (offeredFeatures() >>> (32 * deviceFeaturesSel));
            case QUEUE_NUM_MAX -> queue == null ? 0 : device.maxQueueSize();
            case QUEUE_READY -> queue != null && queue.ready ? 1 : 0;
            case INTERRUPT_STATUS -> interruptStatus.get();
            case STATUS -> failed.get() ? status | STATUS_NEEDS_RESET : status;
            case CONFIG_GENERATION -> 0;
            default -> 0;
        };
        data.set(JAVA_INT_UNALIGNED, 0, value);
    }

    @Override
    public synchronized void write(long offset, MemorySegment data) {
        if (offset >= CONFIG) {
            device.writeConfig(offset - CONFIG, data);
            return;
        }
        if (data.byteSize() != 4) {
            return;
        }
        int value = data.get(JAVA_INT_UNALIGNED, 0);
        QueueSetup queue = selected();
        switch ((int) offset) {
            case DEVICE_FEATURES_SEL -> deviceFeaturesSel = value;
            case DRIVER_FEATURES -> {
                if (driverFeaturesSel <= 1 && (status & STATUS_FEATURES_OK) == 0) {
                    int shift = 32 * driverFeaturesSel;
                    driverFeatures = (driverFeatures & ~(0xffff_ffffL << shift)) | (Integer.toUnsignedLong(value) << shift);
                }
            }
            case DRIVER_FEATURES_SEL -> driverFeaturesSel = value;
            case QUEUE_SEL -> queueSel = value;
            case QUEUE_NUM -> {
                if (queue != null) {
                    queue.size = value;
                }
            }
            case QUEUE_READY -> {
                if (queue != null) {
                    queue.ready = value == 1;
                }
            }
            case QUEUE_NOTIFY -> notifier.accept(value);
            case INTERRUPT_ACK -> interruptStatus.getAndUpdate(bits -> bits & ~value);
            case STATUS -> writeStatus(value);
            case QUEUE_DESC_LOW -> setLow(queue, 0, value);
            case QUEUE_DESC_HIGH -> setHigh(queue, 0, value);
            case QUEUE_DRIVER_LOW -> setLow(queue, 1, value);
            case QUEUE_DRIVER_HIGH -> setHigh(queue, 1, value);
            case QUEUE_DEVICE_LOW -> setLow(queue, 2, value);
            case QUEUE_DEVICE_HIGH -> setHigh(queue, 2, value);
            default -> {
                // Read-only or unknown registers: writes are ignored, as the spec asks.
            }
        }
    }

    private static void setLow(QueueSetup queue, int which, int value) {
        if (queue != null) {
            set(queue, which, (get(queue, which) & 0xffff_ffff_0000_0000L) | Integer.toUnsignedLong(value));
        }
    }

    private static void setHigh(QueueSetup queue, int which, int value) {
        if (queue != null) {
            set(queue, which, (get(queue, which) & 0xffff_ffffL) | ((long) value << 32));
        }
    }

    private static long get(QueueSetup queue, int which) {
        return which == 0 ? queue.desc : which == 1 ? queue.driver : queue.device;
    }

    private static void set(QueueSetup queue, int which, long value) {
        switch (which) {
            case 0 -> queue.desc = value;
            case 1 -> queue.driver = value;
            default -> queue.device = value;
        }
    }

    private void writeStatus(int value) {
        if (value == 0) {
            reset();
            return;
        }
        int newBits = value & ~status;
        if ((newBits & STATUS_FEATURES_OK) != 0) {
            boolean acceptable = (driverFeatures & ~offeredFeatures()) == 0
                    && (driverFeatures & VirtioDevice.F_VERSION_1) != 0;
            if (!acceptable) {
                value &= ~STATUS_FEATURES_OK;
            }
        }
        status = value;
        if ((newBits & STATUS_DRIVER_OK) != 0 && (status & STATUS_FEATURES_OK) != 0) {
            activate();
        }
    }

    /**
     * Runs device work (a queue notification, host-side work the device scheduled) unless the
     * device failed and awaits its reset. A RuntimeException from it fails the device (see the
     * class comment); an Error propagates.
     */
    public void run(Runnable work) {
        if (failed.get()) {
            return;
        }
        try {
            work.run();
        } catch (RuntimeException e) {
            fail(e);
        }
    }

    /** Whether the device failed and does nothing until the driver resets it. */
    public boolean failed() {
        return failed.get();
    }

    private void fail(RuntimeException e) {
        if (needsResetOnce()) {
            LOG.log(Level.WARNING, name() + " failed and stopped until the guest driver resets it"
                    + " (DEVICE_NEEDS_RESET); the VM goes on: " + e, e);
        }
    }

    /** The device's type, for log lines. */
    public String name() {
        return name(device.deviceId());
    }

    /** The name of virtio device type {@code deviceId}. */
    static String name(int deviceId) {
        return switch (deviceId) {
            case 1 -> "virtio-net";
            case 2 -> "virtio-blk";
            case 4 -> "virtio-rng";
            case 19 -> "virtio-vsock";
            case 26 -> "virtio-fs";
            default -> "virtio device " + deviceId;
        };
    }

    private void activate() {
        boolean eventIdx = (driverFeatures & VirtioDevice.F_RING_EVENT_IDX) != 0;
        List<Virtqueue> ready = new ArrayList<>();
        try {
            for (QueueSetup queue : queues) {
                if (!queue.ready || queue.size == 0 || queue.size > device.maxQueueSize()) {
                    throw new VirtqueueException("queue " + ready.size() + " is not set up (ready " + queue.ready
                            + ", size " + queue.size + ")");
                }
                ready.add(new Virtqueue(memory, queue.size, queue.desc, queue.driver, queue.device, eventIdx));
            }
        } catch (VirtqueueException e) {
            needsReset();
            return;
        }
        active = List.copyOf(ready);
        run(() -> device.activate(ready, driverFeatures, signals()));
    }

    private VirtioDevice.DriverSignals signals() {
        return new VirtioDevice.DriverSignals() {
            @Override
            public void usedBuffers() {
                VirtioMmioTransport.this.usedBuffers();
            }

            @Override
            public void deviceBroken() {
                needsReset();
            }
        };
    }

    /** Sets the used-buffer interrupt status and signals the interrupt line. */
    private void usedBuffers() {
        interruptStatus.getAndUpdate(bits -> bits | INTERRUPT_USED);
        raiseInterrupt.run();
    }

    /**
     * The device broke: tell the driver through DEVICE_NEEDS_RESET and a config interrupt. Takes
     * no lock, so a device may call it while holding its own (a vCPU resetting the device holds
     * the transport's and then takes the device's).
     */
    public void needsReset() {
        needsResetOnce();
    }

    /** Fails the device; returns false when it had failed already. */
    private boolean needsResetOnce() {
        if (!failed.compareAndSet(false, true)) {
            return false;
        }
        interruptStatus.getAndUpdate(bits -> bits | INTERRUPT_CONFIG);
        raiseInterrupt.run();
        return true;
    }

    private void reset() {
        device.reset();
        failed.set(false);
        status = 0;
        driverFeatures = 0;
        deviceFeaturesSel = 0;
        driverFeaturesSel = 0;
        queueSel = 0;
        interruptStatus.set(0);
        resetQueues();
        active = List.of();
    }

    /**
     * The transport's state for a snapshot, taken with the vCPUs parked and the event loop quiet.
     * Chains the device holds popped but unreturned ({@link VirtioDevice#heldChains}) are given
     * back to their ring, so the restored device takes them again.
     */
    public synchronized VirtioMmioState captureState() {
        List<VirtioMmioState.Queue> saved = new ArrayList<>();
        for (int i = 0; i < queues.size(); i++) {
            QueueSetup queue = queues.get(i);
            VirtqueueState indices = i < active.size() ? active.get(i).captureState(device.heldChains(i)) : null;
            saved.add(new VirtioMmioState.Queue(queue.size, queue.ready, queue.desc, queue.driver, queue.device, indices));
        }
        return new VirtioMmioState(status, failed.get(), deviceFeaturesSel, driverFeaturesSel, driverFeatures, queueSel,
                interruptStatus.get(), saved);
    }

    /**
     * Takes a saved state into this new transport, attached over the restored guest memory and
     * not yet seen by any vCPU: the registers, and for a device the driver had activated, new
     * queues over the same rings carrying on from the saved indices, handed to the device's
     * {@link VirtioDevice#activate}. A state that does not fit (another queue count, features
     * the device does not offer, a queue outside guest memory or over the device's size) is
     * refused and leaves the device unactivated. Call {@link #resumeAfterRestore} once the
     * device took its own state.
     */
    public synchronized void restoreState(VirtioMmioState state) throws SnapshotException {
        if (state.queues().size() != device.queueCount()) {
            throw new SnapshotException(name() + " was saved with " + state.queues().size() + " queues but has "
                    + device.queueCount() + ": the snapshot is of another device");
        }
        if ((state.status() & STATUS_FEATURES_OK) != 0 && (state.driverFeatures() & ~offeredFeatures()) != 0) {
            throw new SnapshotException(String.format("%s: the guest accepted features 0x%x but the device offers"
                    + " only 0x%x: restore with the device configured as at the snapshot", name(),
                    state.driverFeatures(), offeredFeatures()));
        }
        boolean activated = state.queues().stream().anyMatch(q -> q.active() != null);
        if (activated && (state.queues().stream().anyMatch(q -> q.active() == null)
                || (state.status() & (STATUS_FEATURES_OK | STATUS_DRIVER_OK)) != (STATUS_FEATURES_OK | STATUS_DRIVER_OK))) {
            throw new SnapshotException(name() + ": the saved state has active queues but the driver had not"
                    + " set every queue up and DRIVER_OK; the snapshot is corrupt");
        }
        List<Virtqueue> restored = new ArrayList<>();
        boolean eventIdx = (state.driverFeatures() & VirtioDevice.F_RING_EVENT_IDX) != 0;
        for (int i = 0; activated && i < state.queues().size(); i++) {
            VirtioMmioState.Queue queue = state.queues().get(i);
            if (queue.size() > device.maxQueueSize()) {
                throw new SnapshotException(name() + " queue " + i + " was saved with " + queue.size()
                        + " entries, over the device's " + device.maxQueueSize() + "; the snapshot is corrupt");
            }
            try {
                Virtqueue virtqueue = new Virtqueue(memory, queue.size(), queue.desc(), queue.driver(), queue.device(), eventIdx);
                virtqueue.applyState(queue.active());
                restored.add(virtqueue);
            } catch (VirtqueueException e) {
                throw new SnapshotException(name() + " queue " + i + " cannot be restored: " + e.getMessage()
                        + "; the snapshot is corrupt or of another machine");
            }
        }
        for (int i = 0; i < queues.size(); i++) {
            VirtioMmioState.Queue saved = state.queues().get(i);
            QueueSetup queue = queues.get(i);
            queue.size = saved.size();
            queue.ready = saved.ready();
            queue.desc = saved.desc();
            queue.driver = saved.driver();
            queue.device = saved.device();
        }
        status = state.status();
        failed.set(state.failed());
        deviceFeaturesSel = state.deviceFeaturesSel();
        driverFeaturesSel = state.driverFeaturesSel();
        driverFeatures = state.driverFeatures();
        queueSel = state.queueSel();
        interruptStatus.set(state.interruptStatus());
        active = List.copyOf(restored);
        if (activated) {
            try {
                device.activate(restored, driverFeatures, signals());
            } catch (RuntimeException e) {
                throw new SnapshotException(name() + " refused its restored queues: " + e.getMessage(), e);
            }
        }
    }

    /**
     * After a restore, before the vCPUs run: serves every queue once, since a notification the
     * guest sent while the snapshot was taken is gone with the old process (Firecracker #5969: a
     * tx queue that hung after restore), and raises the interrupt again if the driver had not
     * acknowledged it.
     */
    public void resumeAfterRestore() {
        for (int i = 0; i < active.size(); i++) {
            int index = i;
            run(() -> device.queueNotify(index));
        }
        if (interruptStatus.get() != 0) {
            raiseInterrupt.run();
        }
    }

    /** Replaces where register-path notifications go (the VMM points them at the event loop). */
    public synchronized void notifier(IntConsumer notifier) {
        this.notifier = notifier;
    }

    /** The kernel command-line argument that announces this device at {@code base} on {@code irq}. */
    public static String kernelArg(long base, int irq) {
        return String.format("virtio_mmio.device=4K@0x%x:%d", base, irq);
    }
}
