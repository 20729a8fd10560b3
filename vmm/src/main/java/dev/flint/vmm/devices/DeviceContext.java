package dev.flint.vmm.devices;

import dev.flint.vmm.memory.GuestMemory;
import dev.flint.vmm.sys.ErrnoException;
import dev.flint.vmm.sys.EventFd;

import java.util.OptionalLong;
import java.util.concurrent.Executor;

/**
 * What a VM offers a device being attached to it: guest memory, an MMIO slot with its own
 * interrupt line, doorbells the guest rings without leaving KVM, and the kernel command line.
 * Devices are attached before the kernel is loaded; device work runs on the VM's event loop.
 */
public interface DeviceContext {
    /** Size of every MMIO slot: one 4 KiB page per device, as virtio-mmio expects. */
    long MMIO_SLOT_SIZE = 0x1000;

    /** An MMIO slot of {@link #MMIO_SLOT_SIZE} bytes and the GSI that belongs to it. */
    record MmioSlot(long base, int gsi) {
    }

    GuestMemory memory();

    /** Takes the next free MMIO slot and places {@code device} on it. */
    MmioSlot attachMmio(BusDevice device);

    /**
     * An eventfd wired with {@code KVM_IRQFD} to {@code gsi}: signalling it raises the interrupt
     * inside KVM. The VM closes it at teardown.
     */
    EventFd interruptLine(int gsi) throws ErrnoException;

    /**
     * Runs {@code handler} on the VM's event loop each time the guest writes {@code datamatch}
     * (any value when empty) with a {@code length}-byte MMIO write at {@code address}; KVM
     * catches the write through {@code KVM_IOEVENTFD}, so it costs no exit to user space.
     */
    void onMmioWrite(long address, int length, OptionalLong datamatch, Runnable handler) throws ErrnoException;

    /** Runs {@code handler} on the event loop whenever the returned eventfd is signalled. */
    EventFd onSignal(Runnable handler) throws ErrnoException;

    /**
     * A thread of the device's own for work that blocks on the host (a disk's fsync, a shared
     * directory's requests), so that it holds up no other device on the event loop. Tasks run in
     * order, one at a time; the VM pauses it with the event loop (a running task finishes first,
     * queued ones wait for the resume) and stops it when it closes. {@code name} goes into the
     * thread's name.
     */
    Executor ioWorker(String name);

    /** Adds arguments to the guest kernel command line. */
    void appendKernelArgs(String args);
}
