package dev.flint.virtio.queue;

import dev.flint.vmm.snapshot.SnapshotException;
import dev.flint.vmm.snapshot.StateInput;
import dev.flint.vmm.snapshot.StateOutput;

/**
 * What a {@link Virtqueue} keeps outside guest memory: the next available entry it will take,
 * the next used entry it will fill, and the EVENT_IDX interrupt-suppression state (the used index
 * it last signalled, and whether it has signalled at all). The rings themselves are guest memory,
 * which the snapshot saves whole.
 */
public record VirtqueueState(int nextAvail, int nextUsed, int signalledUsed, boolean signalledValid) {
    public void write(StateOutput out) {
        out.writeShort(nextAvail).writeShort(nextUsed).writeShort(signalledUsed).writeBoolean(signalledValid);
    }

    public static VirtqueueState read(StateInput in) throws SnapshotException {
        return new VirtqueueState(in.readShort(), in.readShort(), in.readShort(), in.readBoolean());
    }
}
