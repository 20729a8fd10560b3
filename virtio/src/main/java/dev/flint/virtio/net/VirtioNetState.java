package dev.flint.virtio.net;

import dev.flint.vmm.snapshot.SnapshotException;
import dev.flint.vmm.snapshot.StateInput;
import dev.flint.vmm.snapshot.StateOutput;

/**
 * The saved state of a {@link VirtioNet}: its MAC address, all of the config space the guest
 * reads that can differ (the link is always up). The backend is not saved: the restoring caller
 * makes a new one (a new libslirp with the same addresses and forwards, or the same tap), and
 * frames that were on their way are lost, as on a real link; the guest's TCP retransmits them.
 */
public record VirtioNetState(MacAddress mac) {
    public void write(StateOutput out) {
        out.writeBytes(mac.bytes());
    }

    public static VirtioNetState read(StateInput in) throws SnapshotException {
        byte[] bytes = in.readBytes(MacAddress.LENGTH);
        if (bytes.length != MacAddress.LENGTH) {
            throw new SnapshotException("the saved MAC address of virtio-net has " + bytes.length
                    + " bytes, not " + MacAddress.LENGTH + "; the snapshot is corrupt");
        }
        try {
            return new VirtioNetState(MacAddress.of(bytes));
        } catch (IllegalArgumentException e) {
            throw new SnapshotException("the saved MAC address of virtio-net is not a NIC's: " + e.getMessage()
                    + "; the snapshot is corrupt");
        }
    }
}
