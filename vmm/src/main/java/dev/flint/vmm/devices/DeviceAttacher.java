package dev.flint.vmm.devices;

import dev.flint.vmm.snapshot.SnapshotException;
import dev.flint.vmm.snapshot.StateInput;
import dev.flint.vmm.snapshot.StateOutput;

/**
 * Plugs one device into a VM while it is being built (see {@link DeviceContext}), and saves and
 * restores its state for a snapshot. A VM restored from a snapshot attaches the same devices in
 * the same order (so the same MMIO slots and GSIs), then hands each its saved state.
 */
public interface DeviceAttacher {
    /** Attaches the device; called once, before the kernel is loaded or the state is restored. */
    void attach(DeviceContext context) throws Exception;

    /** A short name for errors and the snapshot's section names, such as {@code virtio-blk}. */
    default String deviceName() {
        return getClass().getSimpleName();
    }

    /** Writes the device's state; called with every vCPU parked and the event loop quiet. */
    default void saveState(StateOutput out) throws SnapshotException {
        throw new SnapshotException(deviceName() + " cannot be saved in a snapshot");
    }

    /** Takes the state {@link #saveState} wrote; called after {@link #attach}, before any vCPU runs. */
    default void restoreState(StateInput in) throws SnapshotException {
        throw new SnapshotException(deviceName() + " cannot be restored from a snapshot");
    }
}
