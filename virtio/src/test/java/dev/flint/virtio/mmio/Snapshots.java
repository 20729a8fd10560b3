package dev.flint.virtio.mmio;

import dev.flint.vmm.snapshot.SnapshotException;
import dev.flint.vmm.snapshot.StateInput;
import dev.flint.vmm.snapshot.StateOutput;

/** Saves a transport's section and restores it into another, as a VM snapshot does. */
final class Snapshots {
    private Snapshots() {
    }

    static byte[] save(VirtioMmioTransport transport) throws SnapshotException {
        StateOutput out = new StateOutput();
        VirtioMmioAttacher.save(transport, out);
        return out.toByteArray();
    }

    static void restore(VirtioMmioTransport transport, byte[] saved) throws SnapshotException {
        StateInput in = new StateInput(saved, "the test VM");
        VirtioMmioAttacher.restore(transport, in);
        in.expectEnd();
    }

    /** A section of {@code name} holding {@code state} and {@code own} as the device's state. */
    static byte[] section(String name, VirtioMmioState state, byte[] own) {
        StateOutput out = new StateOutput();
        out.writeSection(name, section -> {
            state.write(section);
            section.writeBytes(own);
        });
        return out.toByteArray();
    }
}
