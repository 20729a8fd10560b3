package dev.flint.vmm.devices;

import dev.flint.vmm.snapshot.SnapshotException;
import dev.flint.vmm.snapshot.StateInput;
import dev.flint.vmm.snapshot.StateOutput;

/**
 * The saved state of a {@link GuestSignal}: whether the guest has written its value (booted, or
 * announced its power-off) before the snapshot.
 */
public record GuestSignalState(boolean seen) {
    public void write(StateOutput out) {
        out.writeBoolean(seen);
    }

    public static GuestSignalState read(StateInput in) throws SnapshotException {
        return new GuestSignalState(in.readBoolean());
    }
}
