package dev.flint.vmm.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * {@code struct statfs} as glibc lays it out on x86-64 (120 bytes, {@code bits/statfs.h}), read
 * through a flyweight over a segment that {@link LibcFs#fstatfs} filled. Pinned by
 * {@code FileStructsLayoutTest}.
 */
public final class StatFs {
    public static final StructLayout LAYOUT = structLayout(
            JAVA_LONG.withName("f_type"),
            JAVA_LONG.withName("f_bsize"),
            JAVA_LONG.withName("f_blocks"),
            JAVA_LONG.withName("f_bfree"),
            JAVA_LONG.withName("f_bavail"),
            JAVA_LONG.withName("f_files"),
            JAVA_LONG.withName("f_ffree"),
            sequenceLayout(2, JAVA_INT).withName("f_fsid"),
            JAVA_LONG.withName("f_namelen"),
            JAVA_LONG.withName("f_frsize"),
            JAVA_LONG.withName("f_flags"),
            sequenceLayout(4, JAVA_LONG).withName("f_spare"));

    private final MemorySegment segment;

    public StatFs(MemorySegment segment) {
        this.segment = segment;
    }

    /** A zeroed {@code struct statfs} in {@code arena}. */
    public static StatFs allocate(Arena arena) {
        return new StatFs(arena.allocate(LAYOUT));
    }

    public MemorySegment segment() {
        return segment;
    }

    private long field(String name) {
        return segment.get(JAVA_LONG, LAYOUT.byteOffset(groupElement(name)));
    }

    public long type() {
        return field("f_type");
    }

    public long blockSize() {
        return field("f_bsize");
    }

    public long blocks() {
        return field("f_blocks");
    }

    public long freeBlocks() {
        return field("f_bfree");
    }

    public long availableBlocks() {
        return field("f_bavail");
    }

    public long files() {
        return field("f_files");
    }

    public long freeFiles() {
        return field("f_ffree");
    }

    public long nameLength() {
        return field("f_namelen");
    }

    public long fragmentSize() {
        return field("f_frsize");
    }
}
