package dev.flint.virtio;

import dev.flint.virtio.queue.Virtqueue;
import dev.flint.vmm.devices.DeviceContext;
import dev.flint.vmm.snapshot.SnapshotException;
import dev.flint.vmm.snapshot.StateInput;
import dev.flint.vmm.snapshot.StateOutput;
import dev.flint.vmm.sys.ErrnoException;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * One virtio device type behind a transport. The transport negotiates features and sets up
 * queues; the device sees its queues once the driver is ready and does its work when a queue
 * is notified, on the VM's event-loop thread, or hands it to an I/O worker of its own
 * ({@link DeviceContext#ioWorker}) when it blocks on the host (disk, shared directory).
 *
 * <p>A RuntimeException out of {@link #activate}, {@link #queueNotify} or the host-side work a
 * device schedules fails that device alone: the transport sets DEVICE_NEEDS_RESET, raises a
 * configuration interrupt and runs none of its work until the driver resets it (then
 * {@link #reset} runs); an Error ends the VM.
 */
public interface VirtioDevice {
    /** VIRTIO_F_VERSION_1: every Flint device is a modern (1.x) device. */
    long F_VERSION_1 = 1L << 32;
    long F_RING_INDIRECT_DESC = 1L << 28;
    /**
     * VIRTIO_F_RING_EVENT_IDX: the driver and device tell each other how far to go before the
     * next notification or interrupt (used_event, avail_event), so a burst of requests costs one
     * VM exit and one interrupt, not one each. Every Flint device offers it: each takes every chain
     * it is notified of (holding one is fine) and asks {@code Virtqueue.needsInterrupt} before it
     * raises the interrupt, which is all the suppression needs from a device.
     */
    long F_RING_EVENT_IDX = 1L << 29;

    /** The virtio device id: net 1, blk 2, rng 4, vsock 19, fs 26. */
    int deviceId();

    /** Features the device offers; the transport adds {@link #F_VERSION_1}. */
    long features();

    int queueCount();

    int maxQueueSize();

    /** Fills {@code data} from the device's config space at {@code offset}. */
    void readConfig(long offset, MemorySegment data);

    /** The driver wrote the config space; most devices ignore it. */
    default void writeConfig(long offset, MemorySegment data) {
    }

    /**
     * The driver set DRIVER_OK: the device may use {@code queues} (one per queue index) with the
     * {@code negotiated} features, and tells the driver of used buffers or its own failure
     * through {@code driver}.
     */
    void activate(List<Virtqueue> queues, long negotiated, DriverSignals driver);

    /** The driver notified queue {@code index}; runs on the event-loop thread. */
    void queueNotify(int index);

    /** The driver reset the device: drop the queues and all in-flight state. */
    void reset();

    /** Called once when the device is attached to a VM, for devices with host-side work to schedule on the event loop. */
    default void attached(DeviceContext context) throws ErrnoException {
    }

    /**
     * Writes the device's own state for a snapshot (what its transport does not hold: config,
     * identity), with the vCPUs parked and the event loop quiet. By default a device cannot be
     * snapshotted.
     */
    default void saveState(StateOutput out) throws SnapshotException {
        throw new SnapshotException("virtio device " + deviceId() + " cannot be saved in a snapshot");
    }

    /**
     * Takes what {@link #saveState} wrote, in a new device whose transport has restored its queues
     * (so {@link #activate} already ran if the driver had activated the device), before any vCPU
     * runs; the transport then notifies every queue once. A state that does not fit this device
     * (another disk size, MAC, CID) is refused with a message saying what differs.
     */
    default void restoreState(StateInput in) throws SnapshotException {
        throw new SnapshotException("virtio device " + deviceId() + " cannot be restored from a snapshot");
    }

    /**
     * How many chains the device has popped from queue {@code index} and holds without returning
     * them (an rx buffer waiting for data): the most recent ones it popped. A snapshot gives them
     * back to the ring, so that the restored device takes them again.
     */
    default int heldChains(int index) {
        return 0;
    }

    /** How a device tells the driver something happened. */
    interface DriverSignals {
        /** Raises the used-buffer interrupt. */
        void usedBuffers();

        /**
         * The device broke (the driver broke a queue's rules): DEVICE_NEEDS_RESET and a config
         * interrupt; the device gets no more work until the driver resets it.
         */
        void deviceBroken();
    }
}
