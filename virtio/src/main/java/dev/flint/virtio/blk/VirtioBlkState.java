package dev.flint.virtio.blk;

import dev.flint.vmm.snapshot.SnapshotException;
import dev.flint.vmm.snapshot.StateInput;
import dev.flint.vmm.snapshot.StateOutput;

/**
 * The saved state of a {@link VirtioBlk}: what the guest was told of the disk (its capacity,
 * whether it is read-only, its id). The data is the image file's, which the snapshot does not
 * copy; a restore checks that the disk it is given is still the one the guest knew.
 */
public record VirtioBlkState(long capacitySectors, boolean readOnly, byte[] id) {
    public void write(StateOutput out) {
        out.writeLong(capacitySectors).writeBoolean(readOnly).writeBytes(id);
    }

    public static VirtioBlkState read(StateInput in) throws SnapshotException {
        return new VirtioBlkState(in.readLong(), in.readBoolean(), in.readBytes(VirtioBlk.ID_BYTES));
    }
}
