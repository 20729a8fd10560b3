package dev.flint.image.tree;

import java.nio.charset.StandardCharsets;

/**
 * Decoders for the fixed fields of a 512-byte tar header block: NUL-terminated strings, octal
 * numbers (space or NUL padded), and GNU/star base-256 numbers (high bit of the first byte set).
 */
final class TarFields {
    static final int BLOCK = 512;

    private TarFields() {
    }

    /** The bytes of a string field up to its first NUL, as UTF-8. */
    static String string(byte[] block, int offset, int length) {
        int end = offset;
        while (end < offset + length && block[end] != 0) {
            end++;
        }
        return new String(block, offset, end - offset, StandardCharsets.UTF_8);
    }

    /** A numeric field; {@code what} names it for the error message. */
    static long number(byte[] block, int offset, int length, String what) {
        int first = block[offset] & 0xff;
        if ((first & 0x80) != 0) {
            return base256(block, offset, length, what);
        }
        long value = 0;
        int at = offset;
        int end = offset + length;
        while (at < end && (block[at] == ' ' || block[at] == 0)) {
            at++;
        }
        boolean digits = false;
        for (; at < end; at++) {
            byte b = block[at];
            if (b == ' ' || b == 0) {
                break;
            }
            if (b < '0' || b > '7') {
                throw new IllegalArgumentException(what + " holds '" + (char) b + "', which is not an octal digit");
            }
            if (value > (Long.MAX_VALUE >> 3)) {
                throw new IllegalArgumentException(what + " overflows 63 bits");
            }
            value = (value << 3) | (b - '0');
            digits = true;
        }
        return digits ? value : 0;
    }

    /** Base-256: big-endian two's complement in the bytes after the marker bit (0x80 positive, 0xff negative). */
    private static long base256(byte[] block, int offset, int length, String what) {
        boolean negative = (block[offset] & 0x40) != 0;
        long value = negative ? -1 : 0;
        for (int i = 0; i < length; i++) {
            int b = block[offset + i] & 0xff;
            if (i == 0) {
                b &= 0x7f;
                if (negative) {
                    b |= 0x80;
                }
            }
            if (i < length - 8 && b != (negative ? 0xff : 0)) {
                throw new IllegalArgumentException(what + " is a base-256 number wider than 64 bits");
            }
            value = (value << 8) | b;
        }
        if (!negative && value < 0) {
            throw new IllegalArgumentException(what + " is a base-256 number wider than 63 bits");
        }
        return value;
    }

    /** Whether the header's checksum (bytes 148..155) matches, summed signed or unsigned as old tars did. */
    static boolean checksumMatches(byte[] block) {
        long stored;
        try {
            stored = number(block, 148, 8, "checksum");
        } catch (IllegalArgumentException e) {
            return false;
        }
        long unsigned = 0;
        long signed = 0;
        for (int i = 0; i < BLOCK; i++) {
            int b = (i >= 148 && i < 156) ? ' ' : block[i];
            unsigned += b & 0xff;
            signed += (i >= 148 && i < 156) ? ' ' : block[i];
        }
        return stored == unsigned || stored == signed;
    }

    static boolean allZero(byte[] block) {
        for (byte b : block) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    /** {@code size} rounded up to whole blocks. */
    static long padded(long size) {
        return (size + BLOCK - 1) / BLOCK * BLOCK;
    }
}
