package dev.flint.virtio.net;

import dev.flint.virtio.VirtioDevice;
import dev.flint.virtio.queue.DescriptorChain;
import dev.flint.virtio.queue.Virtqueue;
import dev.flint.virtio.queue.VirtqueueException;
import dev.flint.vmm.devices.DeviceContext;
import dev.flint.vmm.snapshot.SnapshotException;
import dev.flint.vmm.snapshot.StateInput;
import dev.flint.vmm.snapshot.StateOutput;
import dev.flint.vmm.sys.ErrnoException;
import dev.flint.vmm.sys.EventFd;

import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Logger;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * The virtio-net device (virtio 1.x, 5.1): one rx/tx queue pair between the guest and a
 * {@link NetBackend}. Features: MAC, STATUS (link always up), MRG_RXBUF (a frame may span
 * several rx buffers) and VERSION_1, so every frame carries the 12-byte
 * {@code virtio_net_hdr_v1}. No checksum or segmentation offload: the backends (libslirp's
 * stack, a plain TAP) want complete frames with valid checksums anyway, so the guest computing
 * them costs the same as Flint doing it and saves a pass in Java.
 *
 * <p>Runs on the VM's event loop: a tx notification hands each frame, header stripped, to the
 * backend; frames from the backend (any thread) wait in a bounded backlog and an eventfd wakes
 * the loop to copy them into rx buffers. While the guest posts no rx buffers frames stay in the
 * backlog; past its bound they are dropped and counted, as a NIC drops on a full ring.
 *
 * <p>Attach like any virtio device: {@code vm.attach(new VirtioMmioAttacher(net))}; close the
 * device at teardown to close its backend.
 */
public final class VirtioNet implements VirtioDevice, AutoCloseable {
    public static final int DEVICE_ID = 1;
    static final long F_MAC = 1L << 5;
    static final long F_MRG_RXBUF = 1L << 15;
    static final long F_STATUS = 1L << 16;
    static final int STATUS_LINK_UP = 1;
    static final int RX = 0;
    static final int TX = 1;
    static final int QUEUE_SIZE = 256;
    /** {@code virtio_net_hdr_v1}: flags, gso_type, hdr_len, gso_size, csum_start, csum_offset, num_buffers. */
    static final int HEADER = 12;
    static final int HEADER_NUM_BUFFERS = 10;
    static final int GSO_NONE = 0;
    /** Frames waiting for rx buffers by default: about a ring's worth. */
    public static final int DEFAULT_BACKLOG = 256;
    /** Largest frame accepted from a backend: a 64 KiB IP packet plus Ethernet header. */
    static final int MAX_FRAME = 65535 + 14;
    /** Largest tx chain the guest may send: the header and the largest frame; longer ones are dropped unread. */
    static final int MAX_TX_CHAIN = HEADER + MAX_FRAME;
    private static final Logger LOG = Logger.getLogger(VirtioNet.class.getName());

    private final MacAddress mac;
    private final NetBackend backend;
    private final ArrayBlockingQueue<byte[]> backlog;
    private final LongAdder txFrames = new LongAdder();
    /** Whether the tx pass in progress handed the backend a frame (event-loop thread only). */
    private boolean sentInBurst;
    private final LongAdder txMalformed = new LongAdder();
    private final LongAdder txDroppedTooLarge = new LongAdder();
    private final LongAdder rxFrames = new LongAdder();
    private final LongAdder rxDroppedFull = new LongAdder();
    private final LongAdder rxDroppedTooLarge = new LongAdder();
    private final LongAdder rxDroppedNotReady = new LongAdder();
    /** Rx chains taken from the ring but not yet filled: a merged frame waits here for more buffers. */
    private final ArrayDeque<DescriptorChain> heldRx = new ArrayDeque<>();
    private volatile EventFd rxWakeup;
    /**
     * {@link #rxWakeup} is signalled and {@link #pumpRx} has not yet started: the frames the
     * backend adds meanwhile need no signal of their own (a burst of them costs one write).
     */
    private final AtomicBoolean rxSignalled = new AtomicBoolean();
    /**
     * The event-loop thread while it is inside {@link #queueNotify}: a frame the backend hands
     * over on it (libslirp answering a guest frame at once, an ACK or the next segment) is placed
     * by that call's own rx fill, so it needs no wakeup. Only that thread can read itself here.
     */
    private volatile Thread notifying;
    private volatile boolean ready;
    private List<Virtqueue> queues;
    private DriverSignals driver;
    private boolean mergeable;

    /** A NIC with {@code mac} on {@code backend}, with the default backlog of {@value #DEFAULT_BACKLOG} frames. */
    public VirtioNet(MacAddress mac, NetBackend backend) {
        this(mac, backend, DEFAULT_BACKLOG);
    }

    /** As above, holding at most {@code backlogFrames} frames while the guest posts no rx buffers. */
    public VirtioNet(MacAddress mac, NetBackend backend, int backlogFrames) {
        if (backlogFrames < 1) {
            throw new IllegalArgumentException("the rx backlog must hold at least one frame, got " + backlogFrames);
        }
        this.mac = mac;
        this.backend = backend;
        this.backlog = new ArrayBlockingQueue<>(backlogFrames);
        // Last, once every field is set: the backend may call back at once from its own thread.
        backend.start(this::fromBackend);
    }

    public MacAddress mac() {
        return mac;
    }

    public NetBackend backend() {
        return backend;
    }

    public VirtioNetStats stats() {
        return new VirtioNetStats(txFrames.sum(), txMalformed.sum(), txDroppedTooLarge.sum(), rxFrames.sum(), rxDroppedFull.sum(),
                rxDroppedTooLarge.sum(), rxDroppedNotReady.sum());
    }

    @Override
    public int deviceId() {
        return DEVICE_ID;
    }

    @Override
    public long features() {
        return F_VERSION_1 | F_RING_EVENT_IDX | F_MAC | F_STATUS | F_MRG_RXBUF;
    }

    @Override
    public int queueCount() {
        return 2;
    }

    @Override
    public int maxQueueSize() {
        return QUEUE_SIZE;
    }

    /** Config space: {@code u8 mac[6]; le16 status;}. */
    @Override
    public void readConfig(long offset, MemorySegment data) {
        byte[] config = new byte[8];
        System.arraycopy(mac.bytes(), 0, config, 0, MacAddress.LENGTH);
        config[6] = STATUS_LINK_UP;
        for (int i = 0; i < data.byteSize(); i++) {
            long at = offset + i;
            data.set(JAVA_BYTE, i, at >= 0 && at < config.length ? config[(int) at] : 0);
        }
    }

    @Override
    public void saveState(StateOutput out) {
        new VirtioNetState(mac).write(out);
    }

    /** Refuses another MAC: the guest's addresses and the backend's DHCP lease are bound to it. */
    @Override
    public void restoreState(StateInput in) throws SnapshotException {
        VirtioNetState saved = VirtioNetState.read(in);
        if (!saved.mac().equals(mac)) {
            throw new SnapshotException("virtio-net had the MAC address " + saved.mac() + " at the snapshot, not "
                    + mac + "; restore with the same MAC");
        }
    }

    /** The merged rx buffers held for a frame still being gathered are given back to the ring. */
    @Override
    public synchronized int heldChains(int index) {
        return index == RX ? heldRx.size() : 0;
    }

    @Override
    public void attached(DeviceContext context) throws ErrnoException {
        this.rxWakeup = context.onSignal(this::pumpRx);
        rxSignalled.set(false);
    }

    @Override
    public synchronized void activate(List<Virtqueue> queues, long negotiated, DriverSignals driver) {
        this.queues = queues;
        this.driver = driver;
        this.mergeable = (negotiated & F_MRG_RXBUF) != 0;
        this.heldRx.clear();
        this.backlog.clear();
        this.ready = true;
    }

    @Override
    public synchronized void reset() {
        ready = false;
        queues = null;
        heldRx.clear();
        backlog.clear();
    }

    @Override
    public synchronized void queueNotify(int index) {
        if (queues == null) {
            return;
        }
        notifying = Thread.currentThread();
        try {
            if (index == TX) {
                sentInBurst = false;
                boolean interrupt = queues.get(TX).serveAll(this::transmit);
                if (sentInBurst) {
                    backend.flush();   // one backend wakeup per burst, none for a notification that carried no frame
                }
                if (interrupt) {
                    driver.usedBuffers();
                }
            }
            // New rx buffers (an rx notification), or replies the backend made at once to what we sent.
            fillRx();
        } catch (VirtqueueException e) {
            fail(e);
        } finally {
            notifying = null;
        }
    }

    /** Moves backlog frames into rx buffers; runs on the event loop when the backend wakes it. */
    public synchronized void pumpRx() {
        // Cleared (a full fence) before the backlog is read: a frame added after this read signals again.
        rxSignalled.getAndSet(false);
        if (queues == null) {
            return;
        }
        try {
            fillRx();
        } catch (VirtqueueException e) {
            fail(e);
        }
    }

    /** Takes a frame from the backend, on the backend's thread. */
    private void fromBackend(byte[] frame) {
        if (!ready) {
            rxDroppedNotReady.increment();
            return;
        }
        if (frame.length > MAX_FRAME) {
            rxDroppedTooLarge.increment();
            return;
        }
        if (!backlog.offer(frame)) {
            rxDroppedFull.increment();
            return;
        }
        if (notifying == Thread.currentThread()) {
            return;   // queueNotify fills rx before it returns
        }
        EventFd wakeup = rxWakeup;
        if (wakeup != null && rxSignalled.compareAndSet(false, true)) {
            try {
                wakeup.signal();
            } catch (ErrnoException | IllegalStateException e) {
                rxSignalled.set(false);
                LOG.warning("waking the network device failed: " + e.getMessage() + "; the frame waits for the next notification");
            }
        }
    }

    /** One guest frame: check its size and header, strip the header, hand the rest to the backend. */
    private int transmit(DescriptorChain chain) {
        byte[] bytes = chain.readAll(MAX_TX_CHAIN).orElse(null);
        if (bytes == null) {
            txDroppedTooLarge.increment();
            LOG.fine("guest sent a tx chain of " + chain.readableLength() + " bytes, over the " + MAX_TX_CHAIN
                    + "-byte maximum; dropped");
            return 0;
        }
        if (bytes.length < HEADER) {
            txMalformed.increment();
            LOG.fine("guest sent a tx chain of " + bytes.length + " bytes, shorter than the virtio-net header; dropped");
            return 0;
        }
        if ((bytes[1] & 0xff) != GSO_NONE) {
            // Segmentation offload was never offered; a driver asking for it is confused.
            txMalformed.increment();
            return 0;
        }
        txFrames.increment();
        backend.send(bytes, HEADER, bytes.length - HEADER);
        sentInBurst = true;
        return 0;
    }

    private void fillRx() {
        Virtqueue rx = queues.get(RX);
        boolean used = false;
        for (byte[] frame = backlog.peek(); frame != null; frame = backlog.peek()) {
            Placement placement = place(rx, frame);
            if (placement == Placement.WAIT_FOR_BUFFERS) {
                break;
            }
            backlog.poll();
            if (placement == Placement.DELIVERED) {
                rxFrames.increment();
                used = true;
            } else {
                rxDroppedTooLarge.increment();
            }
        }
        if (used && rx.needsInterrupt()) {
            driver.usedBuffers();
        }
    }

    private enum Placement { DELIVERED, TOO_LARGE, WAIT_FOR_BUFFERS }

    /** Puts one frame, behind its header, into as many rx chains as it needs (one without MRG_RXBUF). */
    private Placement place(Virtqueue rx, byte[] frame) {
        long needed = HEADER + (long) frame.length;
        List<DescriptorChain> chains = new ArrayList<>();
        long room = 0;
        for (DescriptorChain chain : heldRx) {
            if (room >= needed || (!mergeable && !chains.isEmpty())) {
                break;
            }
            chains.add(chain);
            room += chain.writableLength();
        }
        while (room < needed && (mergeable || chains.isEmpty())) {
            DescriptorChain chain = rx.pop().orElse(null);
            if (chain == null) {
                return Placement.WAIT_FOR_BUFFERS;
            }
            if (chain.writableLength() == 0) {
                throw new VirtqueueException("rx chain " + chain.head() + " has no device-writable buffer");
            }
            heldRx.addLast(chain);
            chains.add(chain);
            room += chain.writableLength();
        }
        if (room < needed) {
            // Without MRG_RXBUF a frame must fit one chain; keep the chain for a smaller frame.
            LOG.fine("dropped a " + frame.length + "-byte frame: the guest's rx buffer holds " + room + " bytes");
            return Placement.TOO_LARGE;
        }
        byte[] packet = new byte[(int) needed];
        packet[HEADER_NUM_BUFFERS] = (byte) chains.size();
        packet[HEADER_NUM_BUFFERS + 1] = (byte) (chains.size() >>> 8);
        System.arraycopy(frame, 0, packet, HEADER, frame.length);
        int[] written = new int[chains.size()];
        int at = 0;
        for (int i = 0; i < chains.size(); i++) {
            written[i] = copyInto(chains.get(i), packet, at);
            at += written[i];
        }
        // All the frame's buffers go back in one publish of the used index: never a partial frame.
        int[] heads = new int[chains.size()];
        for (int i = 0; i < chains.size(); i++) {
            heldRx.removeFirst();
            heads[i] = chains.get(i).head();
        }
        rx.addUsed(heads, written);
        return Placement.DELIVERED;
    }

    /** Copies from {@code packet[from..]} into the chain's writable buffers; returns the bytes copied. */
    private static int copyInto(DescriptorChain chain, byte[] packet, int from) {
        int at = from;
        for (DescriptorChain.Buffer buffer : chain.writable()) {
            if (at == packet.length) {
                break;
            }
            int n = (int) Math.min(Integer.toUnsignedLong(buffer.length()), packet.length - at);
            MemorySegment.copy(packet, at, chain.segment(buffer), JAVA_BYTE, 0, n);
            at += n;
        }
        return at - from;
    }

    private void fail(VirtqueueException e) {
        LOG.warning("network device stopped: " + e.getMessage());
        queues = null;
        ready = false;
        heldRx.clear();
        backlog.clear();
        driver.deviceBroken();
    }

    @Override
    public void close() {
        backend.close();
    }
}
