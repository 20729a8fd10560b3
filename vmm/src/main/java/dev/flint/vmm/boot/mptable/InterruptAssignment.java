package dev.flint.vmm.boot.mptable;

import java.nio.ByteBuffer;

/**
 * The 8-byte layout I/O and local interrupt entries share (MP spec tables 4-9 and 4-11): entry
 * type, interrupt type, polarity/trigger flags, source bus and IRQ, destination APIC and pin.
 */
final class InterruptAssignment {
    static final int LENGTH = 8;
    /** Polarity and trigger mode "conform to the bus": edge and active-high on ISA. */
    static final int FLAGS_CONFORM_TO_BUS = 0;

    private InterruptAssignment() {
    }

    static void encode(ByteBuffer out, int entryType, InterruptType interruptType, int sourceBusId,
                       int sourceBusIrq, int destinationApicId, int destinationPin) {
        out.put((byte) entryType);
        out.put((byte) interruptType.code());
        out.putShort((short) FLAGS_CONFORM_TO_BUS);
        out.put((byte) sourceBusId);
        out.put((byte) sourceBusIrq);
        out.put((byte) destinationApicId);
        out.put((byte) destinationPin);
    }
}
