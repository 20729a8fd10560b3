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
 * {@code struct stat} as glibc lays it out on x86-64 (144 bytes, {@code bits/struct_stat.h}),
 * read through a flyweight over a segment that {@link LibcFs#fstatat} filled. Pinned by
 * {@code FileStructsLayoutTest}.
 */
public final class Stat {
    /** {@code struct timespec}: seconds and nanoseconds. */
    public static final StructLayout TIMESPEC = structLayout(
            JAVA_LONG.withName("tv_sec"),
            JAVA_LONG.withName("tv_nsec"));

    public static final StructLayout LAYOUT = structLayout(
            JAVA_LONG.withName("st_dev"),
            JAVA_LONG.withName("st_ino"),
            JAVA_LONG.withName("st_nlink"),
            JAVA_INT.withName("st_mode"),
            JAVA_INT.withName("st_uid"),
            JAVA_INT.withName("st_gid"),
            JAVA_INT.withName("__pad0"),
            JAVA_LONG.withName("st_rdev"),
            JAVA_LONG.withName("st_size"),
            JAVA_LONG.withName("st_blksize"),
            JAVA_LONG.withName("st_blocks"),
            TIMESPEC.withName("st_atim"),
            TIMESPEC.withName("st_mtim"),
            TIMESPEC.withName("st_ctim"),
            sequenceLayout(3, JAVA_LONG).withName("__glibc_reserved"));

    /** File type bits of {@code st_mode}. */
    public static final int S_IFMT = 0170000;
    public static final int S_IFSOCK = 0140000;
    public static final int S_IFLNK = 0120000;
    public static final int S_IFREG = 0100000;
    public static final int S_IFBLK = 0060000;
    public static final int S_IFDIR = 0040000;
    public static final int S_IFCHR = 0020000;
    public static final int S_IFIFO = 0010000;

    private static final long DEV = offset("st_dev");
    private static final long INO = offset("st_ino");
    private static final long NLINK = offset("st_nlink");
    private static final long MODE = offset("st_mode");
    private static final long UID = offset("st_uid");
    private static final long GID = offset("st_gid");
    private static final long RDEV = offset("st_rdev");
    private static final long SIZE = offset("st_size");
    private static final long BLKSIZE = offset("st_blksize");
    private static final long BLOCKS = offset("st_blocks");
    private static final long ATIM = offset("st_atim");
    private static final long MTIM = offset("st_mtim");
    private static final long CTIM = offset("st_ctim");

    private final MemorySegment segment;

    private static long offset(String field) {
        return LAYOUT.byteOffset(groupElement(field));
    }

    public Stat(MemorySegment segment) {
        this.segment = segment;
    }

    /** A zeroed {@code struct stat} in {@code arena}. */
    public static Stat allocate(Arena arena) {
        return new Stat(arena.allocate(LAYOUT));
    }

    public MemorySegment segment() {
        return segment;
    }

    public long dev() {
        return segment.get(JAVA_LONG, DEV);
    }

    public long ino() {
        return segment.get(JAVA_LONG, INO);
    }

    public long nlink() {
        return segment.get(JAVA_LONG, NLINK);
    }

    public int mode() {
        return segment.get(JAVA_INT, MODE);
    }

    public int uid() {
        return segment.get(JAVA_INT, UID);
    }

    public int gid() {
        return segment.get(JAVA_INT, GID);
    }

    public long rdev() {
        return segment.get(JAVA_LONG, RDEV);
    }

    public long size() {
        return segment.get(JAVA_LONG, SIZE);
    }

    public long blksize() {
        return segment.get(JAVA_LONG, BLKSIZE);
    }

    public long blocks() {
        return segment.get(JAVA_LONG, BLOCKS);
    }

    public long atimeSeconds() {
        return segment.get(JAVA_LONG, ATIM);
    }

    public long atimeNanos() {
        return segment.get(JAVA_LONG, ATIM + 8);
    }

    public long mtimeSeconds() {
        return segment.get(JAVA_LONG, MTIM);
    }

    public long mtimeNanos() {
        return segment.get(JAVA_LONG, MTIM + 8);
    }

    public long ctimeSeconds() {
        return segment.get(JAVA_LONG, CTIM);
    }

    public long ctimeNanos() {
        return segment.get(JAVA_LONG, CTIM + 8);
    }

    /** The file type bits ({@link #S_IFREG}, {@link #S_IFDIR}, ...). */
    public int type() {
        return mode() & S_IFMT;
    }
}
