package dev.flint.vmm.sys;

import org.junit.jupiter.api.Test;

import java.lang.foreign.StructLayout;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code struct stat}, {@code struct statfs} and {@code struct linux_dirent64} against glibc's x86-64 headers. */
class FileStructsLayoutTest {
    private static long offset(StructLayout layout, String field) {
        return layout.byteOffset(groupElement(field));
    }

    @Test
    void statIs144BytesWithTheKernelOffsets() {
        assertEquals(144, Stat.LAYOUT.byteSize());
        assertEquals(0, offset(Stat.LAYOUT, "st_dev"));
        assertEquals(8, offset(Stat.LAYOUT, "st_ino"));
        assertEquals(16, offset(Stat.LAYOUT, "st_nlink"));
        assertEquals(24, offset(Stat.LAYOUT, "st_mode"));
        assertEquals(28, offset(Stat.LAYOUT, "st_uid"));
        assertEquals(32, offset(Stat.LAYOUT, "st_gid"));
        assertEquals(40, offset(Stat.LAYOUT, "st_rdev"));
        assertEquals(48, offset(Stat.LAYOUT, "st_size"));
        assertEquals(56, offset(Stat.LAYOUT, "st_blksize"));
        assertEquals(64, offset(Stat.LAYOUT, "st_blocks"));
        assertEquals(72, offset(Stat.LAYOUT, "st_atim"));
        assertEquals(88, offset(Stat.LAYOUT, "st_mtim"));
        assertEquals(104, offset(Stat.LAYOUT, "st_ctim"));
        assertEquals(16, Stat.TIMESPEC.byteSize());
    }

    @Test
    void statfsIs120BytesWithTheKernelOffsets() {
        assertEquals(120, StatFs.LAYOUT.byteSize());
        assertEquals(8, offset(StatFs.LAYOUT, "f_bsize"));
        assertEquals(16, offset(StatFs.LAYOUT, "f_blocks"));
        assertEquals(32, offset(StatFs.LAYOUT, "f_bavail"));
        assertEquals(48, offset(StatFs.LAYOUT, "f_ffree"));
        assertEquals(56, offset(StatFs.LAYOUT, "f_fsid"));
        assertEquals(64, offset(StatFs.LAYOUT, "f_namelen"));
        assertEquals(72, offset(StatFs.LAYOUT, "f_frsize"));
        assertEquals(80, offset(StatFs.LAYOUT, "f_flags"));
    }

    @Test
    void dirent64NameStartsAt19() {
        assertEquals(19, Dirent64.NAME_OFFSET);
        assertEquals(8, offset(Dirent64.HEADER, "d_off"));
        assertEquals(16, offset(Dirent64.HEADER, "d_reclen"));
        assertEquals(18, offset(Dirent64.HEADER, "d_type"));
    }

    @Test
    void flagValuesMatchTheKernelHeaders() {
        assertEquals(010000000, LibcFs.O_PATH);
        assertEquals(0400000, LibcFs.O_NOFOLLOW);
        assertEquals(0200000, LibcFs.O_DIRECTORY);
        assertEquals(02000000, LibcFs.O_CLOEXEC);
        assertEquals(020200000, LibcFs.O_TMPFILE);
        assertEquals(04010000, LibcFs.O_SYNC);
        assertEquals(0x1000, LibcFs.AT_EMPTY_PATH);
        assertEquals(0x3fffffffL, LibcFs.UTIME_NOW);
        assertEquals(0x3ffffffeL, LibcFs.UTIME_OMIT);
    }
}
