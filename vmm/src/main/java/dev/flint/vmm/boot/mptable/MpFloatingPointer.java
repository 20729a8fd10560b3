package dev.flint.vmm.boot.mptable;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The MP floating pointer structure (MP spec section 4.1): the 16 bytes a guest finds by scanning
 * for {@code "_MP_"} (Linux scans the last KiB of base memory, where Flint puts it), pointing at
 * the configuration table. Feature bytes are all 0: the table is present (no default
 * configuration) and the IMCR is absent, which means virtual-wire mode.
 *
 * @param configTableAddress guest-physical address of the configuration table
 */
public record MpFloatingPointer(long configTableAddress) {
    public static final int LENGTH = 16;
    public static final byte[] SIGNATURE = "_MP_".getBytes(StandardCharsets.US_ASCII);
    static final int CHECKSUM_OFFSET = 10;

    public MpFloatingPointer {
        if (configTableAddress < 0 || configTableAddress > 0xffff_ffffL) {
            throw new IllegalArgumentException(String.format(
                    "MP configuration table address 0x%x is not a 32-bit address", configTableAddress));
        }
    }

    /** The 16 bytes, checksum included. */
    public byte[] encode() {
        ByteBuffer out = MpTable.littleEndian(LENGTH);
        out.put(SIGNATURE);
        out.putInt((int) configTableAddress);
        out.put((byte) (LENGTH / 16)); // length in 16-byte paragraphs
        out.put((byte) MpTable.SPEC_REVISION);
        out.put((byte) 0); // checksum, filled in below
        out.put(new byte[5]); // feature information bytes 1-5
        byte[] bytes = out.array();
        bytes[CHECKSUM_OFFSET] = MpTable.checksum(bytes, 0, LENGTH);
        return bytes;
    }
}
