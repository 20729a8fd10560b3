package dev.flint.vmm.boot.mptable;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The MP configuration table header (MP spec table 4-2): {@code "PCMP"}, the base table's
 * length and entry count, OEM and product ids, and the local APIC address. There is no OEM table
 * and no extended table. The checksum covers header and entries, so {@link MpTable} fills it in.
 *
 * @param baseTableLength header plus entries, in bytes
 * @param entryCount      number of base-table entries
 */
public record MpConfigTableHeader(int baseTableLength, int entryCount) {
    public static final int LENGTH = 44;
    public static final byte[] SIGNATURE = "PCMP".getBytes(StandardCharsets.US_ASCII);
    public static final String OEM_ID = "FLINT";
    public static final String PRODUCT_ID = "MICROVM";
    static final int CHECKSUM_OFFSET = 7;
    static final int OEM_ID_LENGTH = 8;
    static final int PRODUCT_ID_LENGTH = 12;

    public MpConfigTableHeader {
        if (baseTableLength < LENGTH || baseTableLength > 0xffff) {
            throw new IllegalArgumentException("MP base table length must be " + LENGTH + " to 65535 bytes, got "
                    + baseTableLength);
        }
        if (entryCount < 0 || entryCount > 0xffff) {
            throw new IllegalArgumentException("MP base table entry count must fit 16 bits, got " + entryCount);
        }
    }

    /** The 44 header bytes with a zero checksum. */
    public byte[] encode() {
        ByteBuffer out = MpTable.littleEndian(LENGTH);
        out.put(SIGNATURE);
        out.putShort((short) baseTableLength);
        out.put((byte) MpTable.SPEC_REVISION);
        out.put((byte) 0); // checksum
        out.put(MpTable.padded(OEM_ID, OEM_ID_LENGTH));
        out.put(MpTable.padded(PRODUCT_ID, PRODUCT_ID_LENGTH));
        out.putInt(0); // OEM table pointer
        out.putShort((short) 0); // OEM table size
        out.putShort((short) entryCount);
        out.putInt((int) MpTable.LOCAL_APIC_ADDRESS);
        out.putShort((short) 0); // extended table length
        out.put((byte) 0); // extended table checksum
        out.put((byte) 0); // reserved
        return out.array();
    }
}
