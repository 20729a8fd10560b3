package dev.flint.vmm.boot;

/**
 * A GDT segment descriptor, described by the access/flags word the way Firecracker writes it
 * (e.g. {@code 0xa09b}: present, ring 0, code, execute/read/accessed, 64-bit, 4 KiB granular).
 *
 * @param flags access byte in bits 0-7, flags nibble (AVL, L, D/B, G) in bits 12-15
 */
public record SegmentDescriptor(int flags, long base, int limit) {
    /** The 8-byte descriptor as it sits in the GDT. */
    public long encode() {
        return ((base & 0xff00_0000L) << 32)
                | ((long) (flags & 0xf0ff) << 40)
                | (((long) limit & 0x000f_0000L) << 32)
                | ((base & 0x00ff_ffffL) << 16)
                | (limit & 0x0000_ffffL);
    }

    public int type() {
        return flags & 0xf;
    }

    public boolean system() {
        return ((flags >> 4) & 1) == 0;
    }

    public int dpl() {
        return (flags >> 5) & 3;
    }

    public boolean present() {
        return ((flags >> 7) & 1) == 1;
    }

    public boolean available() {
        return ((flags >> 12) & 1) == 1;
    }

    public boolean longMode() {
        return ((flags >> 13) & 1) == 1;
    }

    public boolean defaultBig() {
        return ((flags >> 14) & 1) == 1;
    }

    public boolean granular() {
        return ((flags >> 15) & 1) == 1;
    }

    /** The limit in bytes as the CPU sees it (scaled by 4 KiB when granular). */
    public int effectiveLimit() {
        return granular() ? (limit << 12) | 0xfff : limit;
    }
}
