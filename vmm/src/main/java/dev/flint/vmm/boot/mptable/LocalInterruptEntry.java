package dev.flint.vmm.boot.mptable;

import java.nio.ByteBuffer;

/**
 * A local interrupt assignment entry (MP spec table 4-11): what a local APIC's LINT0/LINT1 pin
 * carries. Flint wires LINT0 to the PIC (ExtINT) and LINT1 to NMI, as {@code Lapic} programs them.
 *
 * @param localApicId the destination local APIC, or {@link #ALL_LOCAL_APICS}
 * @param lintPin     0 for LINTIN0, 1 for LINTIN1
 */
public record LocalInterruptEntry(InterruptType interruptType, int sourceBusId, int sourceBusIrq, int localApicId,
                                  int lintPin) implements MpEntry {
    public static final int TYPE = 4;
    /** Destination id meaning "every local APIC". */
    public static final int ALL_LOCAL_APICS = 0xff;

    public LocalInterruptEntry {
        MpTable.requireByte("source bus id", sourceBusId);
        MpTable.requireByte("source bus IRQ", sourceBusIrq);
        MpTable.requireByte("local APIC id", localApicId);
        if (lintPin != 0 && lintPin != 1) {
            throw new IllegalArgumentException("a local APIC has LINTIN0 and LINTIN1, got pin " + lintPin);
        }
    }

    @Override
    public int type() {
        return TYPE;
    }

    @Override
    public int length() {
        return InterruptAssignment.LENGTH;
    }

    @Override
    public void encodeTo(ByteBuffer out) {
        InterruptAssignment.encode(out, TYPE, interruptType, sourceBusId, sourceBusIrq, localApicId, lintPin);
    }
}
