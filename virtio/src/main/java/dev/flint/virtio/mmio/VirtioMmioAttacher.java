package dev.flint.virtio.mmio;

import dev.flint.virtio.VirtioDevice;
import dev.flint.vmm.devices.BusDevice;
import dev.flint.vmm.devices.DeviceAttacher;
import dev.flint.vmm.devices.DeviceContext;
import dev.flint.vmm.memory.GuestMemory;
import dev.flint.vmm.snapshot.SnapshotException;
import dev.flint.vmm.snapshot.StateInput;
import dev.flint.vmm.snapshot.StateOutput;
import dev.flint.vmm.sys.ErrnoException;
import dev.flint.vmm.sys.EventFd;

import java.util.OptionalLong;
import java.util.concurrent.Executor;

/**
 * Puts a virtio device on a VM behind a virtio-mmio transport: an MMIO slot announced on the
 * kernel command line, an irqfd for its interrupt, and one ioeventfd per queue so that the
 * guest's queue notifications reach the device on the event loop without a vCPU exit. Every
 * piece of device work on the event loop (queue notifications and the host-side work the device
 * schedules through {@link DeviceContext#onSignal}), and every task on its I/O worker
 * ({@link DeviceContext#ioWorker}), runs through {@link VirtioMmioTransport#run}, so a device
 * that throws fails alone.
 *
 * <p>A snapshot saves one section named after the device type ({@code virtio-blk}): the
 * transport's state, then the device's own ({@link VirtioDevice#saveState}). Restoring it into a
 * new attacher (attached in the same order, so to the same slot) rebuilds the queues, hands the
 * device its state, serves every queue once and raises a pending interrupt again.
 */
public final class VirtioMmioAttacher implements DeviceAttacher {
    private final VirtioDevice device;
    private volatile EventFd interrupt;
    private volatile VirtioMmioTransport transport;

    public VirtioMmioAttacher(VirtioDevice device) {
        this.device = device;
    }

    @Override
    public void attach(DeviceContext context) throws ErrnoException {
        VirtioMmioTransport transport = new VirtioMmioTransport(device, context.memory(), this::raise, queue -> {
            // Only a queue index without an ioeventfd gets here: the driver named a queue we lack.
        });
        this.transport = transport;
        DeviceContext.MmioSlot slot = context.attachMmio(transport);
        interrupt = context.interruptLine(slot.gsi());
        for (int queue = 0; queue < device.queueCount(); queue++) {
            int index = queue;
            context.onMmioWrite(slot.base() + VirtioMmioTransport.QUEUE_NOTIFY, 4, OptionalLong.of(queue),
                    () -> transport.run(() -> device.queueNotify(index)));
        }
        context.appendKernelArgs(VirtioMmioTransport.kernelArg(slot.base(), slot.gsi()));
        device.attached(new ContainedContext(context, transport));
    }

    @Override
    public String deviceName() {
        return VirtioMmioTransport.name(device.deviceId());
    }

    @Override
    public void saveState(StateOutput out) throws SnapshotException {
        save(attached(), out);
    }

    @Override
    public void restoreState(StateInput in) throws SnapshotException {
        restore(attached(), in);
    }

    /** Writes {@code transport}'s section: its state, then its device's own state. */
    static void save(VirtioMmioTransport transport, StateOutput out) throws SnapshotException {
        StateOutput own = new StateOutput();
        transport.device().saveState(own);
        VirtioMmioState state = transport.captureState();
        out.writeSection(transport.name(), section -> {
            state.write(section);
            section.writeBytes(own.toByteArray());
        });
    }

    /** Reads what {@link #save} wrote into a new {@code transport} and its device, and resumes them. */
    static void restore(VirtioMmioTransport transport, StateInput in) throws SnapshotException {
        StateInput section = in.readSection(transport.name());
        VirtioMmioState state = VirtioMmioState.read(section);
        StateInput own = new StateInput(section.readBytes(section.remaining()), transport.name() + " device");
        section.expectEnd();
        transport.restoreState(state);
        transport.device().restoreState(own);
        own.expectEnd();
        transport.resumeAfterRestore();
    }

    private VirtioMmioTransport attached() throws SnapshotException {
        VirtioMmioTransport attached = transport;
        if (attached == null) {
            throw new SnapshotException(deviceName() + " is not attached to a VM");
        }
        return attached;
    }

    /** The VM's context, with the device's own event-loop and worker tasks run through its transport. */
    private record ContainedContext(DeviceContext vm, VirtioMmioTransport transport) implements DeviceContext {
        @Override
        public GuestMemory memory() {
            return vm.memory();
        }

        @Override
        public MmioSlot attachMmio(BusDevice device) {
            return vm.attachMmio(device);
        }

        @Override
        public EventFd interruptLine(int gsi) throws ErrnoException {
            return vm.interruptLine(gsi);
        }

        @Override
        public void onMmioWrite(long address, int length, OptionalLong datamatch, Runnable handler) throws ErrnoException {
            vm.onMmioWrite(address, length, datamatch, () -> transport.run(handler));
        }

        @Override
        public EventFd onSignal(Runnable handler) throws ErrnoException {
            return vm.onSignal(() -> transport.run(handler));
        }

        @Override
        public Executor ioWorker(String name) {
            Executor worker = vm.ioWorker(name);
            return task -> worker.execute(() -> transport.run(task));
        }

        @Override
        public void appendKernelArgs(String args) {
            vm.appendKernelArgs(args);
        }
    }

    private void raise() {
        try {
            interrupt.signal();
        } catch (ErrnoException e) {
            throw new IllegalStateException("raising the interrupt of virtio device " + device.deviceId()
                    + " failed: " + e.getMessage(), e);
        }
    }
}
