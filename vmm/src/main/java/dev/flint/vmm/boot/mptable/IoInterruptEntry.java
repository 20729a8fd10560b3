package dev.flint.vmm.boot.mptable;

import java.nio.ByteBuffer;

/**
 * An I/O interrupt assignment entry (MP spec table 4-9): which IOAPIC pin an interrupt of the
 * source bus arrives on. Linux only sets up IOAPIC pins that have one, so every GSI a device
 * raises needs an entry.
 *
 * @param sourceBusId  the bus the interrupt comes from
 * @param sourceBusIrq the interrupt's number on that bus
 * @param ioApicId     the destination IOAPIC
 * @param ioApicPin    the destination pin (the GSI, with one IOAPIC)
 */
public record IoInterruptEntry(InterruptType interruptType, int sourceBusId, int sourceBusIrq, int ioApicId,
                               int ioApicPin) implements MpEntry {
    public static final int TYPE = 3;

    public IoInterruptEntry {
        MpTable.requireByte("source bus id", sourceBusId);
        MpTable.requireByte("source bus IRQ", sourceBusIrq);
        MpTable.requireByte("I/O APIC id", ioApicId);
        MpTable.requireByte("I/O APIC pin", ioApicPin);
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
        InterruptAssignment.encode(out, TYPE, interruptType, sourceBusId, sourceBusIrq, ioApicId, ioApicPin);
    }
}
