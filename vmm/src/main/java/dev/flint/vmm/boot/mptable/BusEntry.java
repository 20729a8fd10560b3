package dev.flint.vmm.boot.mptable;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A bus entry (MP spec table 4-7): the bus interrupt sources are numbered on. A Flint guest has
 * no PCI, so there is one ISA bus, and its interrupts are edge-triggered and active-high by
 * default, as the virtio-mmio irqfds and the legacy devices deliver them.
 *
 * @param busId    the id interrupt entries name as their source bus
 * @param typeName the bus type string, at most 6 ASCII characters (space-padded)
 */
public record BusEntry(int busId, String typeName) implements MpEntry {
    public static final int TYPE = 1;
    public static final int LENGTH = 8;
    public static final String ISA = "ISA";
    static final int TYPE_NAME_LENGTH = 6;

    public BusEntry {
        MpTable.requireByte("bus id", busId);
        if (typeName.length() > TYPE_NAME_LENGTH || !StandardCharsets.US_ASCII.newEncoder().canEncode(typeName)) {
            throw new IllegalArgumentException("MP bus type must be at most " + TYPE_NAME_LENGTH
                    + " ASCII characters, got \"" + typeName + "\"");
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
        out.put((byte) busId);
        out.put(MpTable.padded(typeName, TYPE_NAME_LENGTH));
    }
}
