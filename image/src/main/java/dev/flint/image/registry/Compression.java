package dev.flint.image.registry;

/** How a layer blob is compressed, told by its media type and checked against its first bytes. */
public enum Compression {
    NONE, GZIP, ZSTD;

    /** The compression the leading bytes show: gzip {@code 1f 8b}, zstd {@code 28 b5 2f fd}, else none (a tar). */
    public static Compression sniff(byte[] head, int length) {
        if (length >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
            return GZIP;
        }
        if (length >= 4 && (head[0] & 0xff) == 0x28 && (head[1] & 0xff) == 0xb5 && (head[2] & 0xff) == 0x2f
                && (head[3] & 0xff) == 0xfd) {
            return ZSTD;
        }
        return NONE;
    }
}
