package dev.flint.vmm.boot.mptable;

import java.nio.ByteBuffer;

/**
 * An I/O APIC entry (MP spec table 4-8): KVM's in-kernel IOAPIC, with an id no local APIC uses.
 *
 * @param id      the IOAPIC's id, which interrupt entries name as their destination
 * @param version the IOAPIC version register's value
 * @param address the IOAPIC's MMIO base
 */
public record IoApicEntry(int id, int version, long address) implements MpEntry {
    public static final int TYPE = 2;
    public static final int LENGTH = 8;
    static final int FLAG_ENABLED = 1;

    public IoApicEntry {
        MpTable.requireByte("I/O APIC id", id);
        MpTable.requireByte("I/O APIC version", version);
        if (address < 0 || address > 0xffff_ffffL) {
            throw new IllegalArgumentException(String.format("I/O APIC address 0x%x is not a 32-bit address", address));
        }
    }

    @Override
    public int type() {
        return TYPE;
    }

    @Override
    public int length() {
        return LENGTH;
    }

    @Override
    public void encodeTo(ByteBuffer out) {
        out.put((byte) TYPE);
        out.put((byte) id);
        out.put((byte) version);
        out.put((byte) FLAG_ENABLED);
        out.putInt((int) address);
    }
}
