package dev.flint.vmm.devices;

import dev.flint.vmm.snapshot.SnapshotException;
import dev.flint.vmm.snapshot.StateInput;
import dev.flint.vmm.snapshot.StateOutput;

/**
 * The saved state of a {@link Serial8250}: its registers, the divisor latch, whether a THR-empty
 * interrupt awaits its IIR read, and the bytes the guest has not read yet.
 */
public record Serial8250State(int ier, int lcr, int mcr, int scr, int fcr, int divisorLow, int divisorHigh,
                              boolean thrEmptyPending, byte[] input) {
    /** Most unread input a snapshot holds: far more than a console ever queues. */
    static final int MAX_INPUT = 1 << 20;

    public void write(StateOutput out) {
        out.writeByte(ier).writeByte(lcr).writeByte(mcr).writeByte(scr).writeByte(fcr)
                .writeByte(divisorLow).writeByte(divisorHigh).writeBoolean(thrEmptyPending).writeBytes(input);
    }

    public static Serial8250State read(StateInput in) throws SnapshotException {
        return new Serial8250State(in.readByte(), in.readByte(), in.readByte(), in.readByte(), in.readByte(),
                in.readByte(), in.readByte(), in.readBoolean(), in.readBytes(MAX_INPUT));
    }
}
