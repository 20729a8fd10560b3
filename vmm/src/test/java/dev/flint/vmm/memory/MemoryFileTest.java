package dev.flint.vmm.memory;

import dev.flint.vmm.sys.Errno;
import dev.flint.vmm.sys.Libc;
import dev.flint.vmm.sys.LibcFs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The memory file: sparse, only the pages with data, read back through a private mapping that
 * nothing written to it reaches, and replaced (never changed) while a VM still maps it. Real
 * mmap, no KVM needed.
 */
class MemoryFileTest {
    private static final int PAGE = 4096;
    /** Two regions with a gap between them in guest-physical space, as below and above the PCI hole. */
    private static final List<MemoryRange> LAYOUT = List.of(new MemoryRange(0, 4 << 20),
            new MemoryRange(16 << 20, 2 << 20));

    @TempDir
    Path dir;

    @Test
    void writesOnlyTheNonZeroPagesIntoASparseFileOfTheGuestsSize() throws Exception {
        try (GuestMemory memory = GuestMemory.mapAnonymous(LAYOUT)) {
            fill(memory, 0x0000, (byte) 1);
            fill(memory, 0x1000, (byte) 2);                 // adjacent to the first: one run
            fill(memory, 0x20_0000, (byte) 3);
            memory.write(0x3f_f000 + PAGE - 1, new byte[] {4}); // one byte, at the end of region 0
            fill(memory, 16 << 20, (byte) 5);                // the first page of region 1
            memory.write(0x5000, new byte[PAGE]);             // touched, but zero: a hole
            memory.read(0x9000, PAGE);                       // read only: the zero page, a hole

            Path file = dir.resolve("memory");
            MemoryFile.Written written = memory.writeTo(file);

            assertEquals(5L * PAGE, written.bytesWritten());
            assertEquals(6L << 20, written.fileSize());
            assertEquals(6L << 20, Files.size(file));
            // Region 1 lies in the file right after region 0 (at 4 MiB), not at its guest address.
            assertEquals(new TreeSet<>(List.of(0L, 1L, 0x200L, 0x3ffL, 0x400L)), dataPages(file));
        }
    }

    @Test
    void readsBackIdenticallyThroughAPrivateMapping() throws Exception {
        try (GuestMemory memory = GuestMemory.mapAnonymous(LAYOUT)) {
            scribble(memory);
            Path file = dir.resolve("memory");
            memory.writeTo(file);
            try (GuestMemory restored = GuestMemory.mapPrivate(file, LAYOUT)) {
                assertSameContent(memory, restored);
            }
        }
    }

    @Test
    void adjacentRegionsMapTheirOwnPartOfTheFile() throws Exception {
        List<MemoryRange> adjacent = List.of(new MemoryRange(0, 1 << 20), new MemoryRange(1 << 20, 1 << 20),
                new MemoryRange(2 << 20, PAGE));
        try (GuestMemory memory = GuestMemory.mapAnonymous(adjacent)) {
            fill(memory, (1 << 20) - PAGE, (byte) 0x11); // last page of region 0
            fill(memory, 1 << 20, (byte) 0x22);          // first page of region 1
            fill(memory, 2 << 20, (byte) 0x33);          // the one-page region 2
            Path file = dir.resolve("memory");
            memory.writeTo(file);
            try (GuestMemory restored = GuestMemory.mapPrivate(file, adjacent)) {
                assertEquals(3, restored.regions().size());
                assertSameContent(memory, restored);
                assertEquals(0x11, restored.read((1 << 20) - 1, 1)[0]);
                assertEquals(0x22, restored.read(1 << 20, 1)[0]);
                assertEquals(0x33, restored.read((2 << 20) + PAGE - 1, 1)[0]);
            }
        }
    }

    @Test
    void writesIntoThePrivateMappingNeverReachTheFile() throws Exception {
        Path file = writtenFile();
        byte[] before = Files.readAllBytes(file);
        try (GuestMemory restored = GuestMemory.mapPrivate(file, LAYOUT)) {
            fill(restored, 0x0000, (byte) 0x7f); // a page with data in the file
            fill(restored, 0x8000, (byte) 0x7f); // a hole in the file
            assertEquals(0x7f, restored.read(0x8000, 1)[0]);
        }
        assertArrayEquals(before, Files.readAllBytes(file));
    }

    @Test
    void twoPrivateMappingsOfOneFileAreIndependent() throws Exception {
        Path file = writtenFile();
        try (GuestMemory a = GuestMemory.mapPrivate(file, LAYOUT);
             GuestMemory b = GuestMemory.mapPrivate(file, LAYOUT)) {
            byte original = b.read(0x10, 1)[0];
            fill(a, 0x0000, (byte) 0x55);
            fill(b, 0x2000, (byte) 0x66);
            assertEquals(original, b.read(0x10, 1)[0], "a's write is not seen by b");
            assertEquals(0x55, a.read(0x10, 1)[0]);
            assertEquals(0, a.read(0x2000, 1)[0], "b's write is not seen by a");
            assertEquals(0x66, b.read(0x2000, 1)[0]);
        }
    }

    @Test
    void snapshottingARestoredMachineIntoItsOwnDirectoryLeavesItsMappingAlone() throws Exception {
        Path file = writtenFile();
        byte[] first = Files.readAllBytes(file);
        Object inode = Files.getAttribute(file, "unix:ino");
        try (GuestMemory restored = GuestMemory.mapPrivate(file, LAYOUT)) {
            fill(restored, 0x3000, (byte) 0x44); // the only page the restored guest touches

            MemoryFile.Written again = restored.writeTo(file);

            assertNotEquals(inode, Files.getAttribute(file, "unix:ino"), "a new file, renamed over the old");
            // The pages the restored guest never touched are in the old file only: they must be
            // carried into the new one although no page table maps them.
            byte[] expected = first.clone();
            Arrays.fill(expected, 0x3000, 0x3000 + PAGE, (byte) 0x44);
            assertArrayEquals(expected, Files.readAllBytes(file));
            assertEquals(dataPages(file).size() * (long) PAGE, again.bytesWritten());
            // The live mapping still reads the old inode where it has not written.
            assertEquals(first[0x20_0000], restored.read(0x20_0000, 1)[0]);
            assertEquals(0x44, restored.read(0x3000, 1)[0]);
            try (GuestMemory twice = GuestMemory.mapPrivate(file, LAYOUT)) {
                assertSameContent(restored, twice);
            }
        }
        try (var files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList(), "no temp file is left behind");
        }
    }

    @Test
    void closedMemoryCannotBeWritten() throws Exception {
        GuestMemory memory = GuestMemory.mapAnonymous(LAYOUT);
        memory.close();
        Path file = dir.resolve("memory");
        assertThrows(IllegalStateException.class, () -> memory.writeTo(file));
        assertTrue(Files.notExists(file));
    }

    @Test
    void heapMemoryIsWrittenSparselyToo() throws Exception {
        GuestMemory memory = GuestMemory.onHeap(List.of(new MemoryRange(0, 1 << 20)));
        fill(memory, 0x4000, (byte) 9);
        Path file = dir.resolve("memory");
        assertEquals(PAGE, memory.writeTo(file).bytesWritten());
        assertEquals(new TreeSet<>(List.of(4L)), dataPages(file));
    }

    @Test
    void aFileOfAnotherSizeOrARegionOfPartPagesIsRefused() throws Exception {
        Path file = writtenFile();
        IllegalArgumentException size = assertThrows(IllegalArgumentException.class,
                () -> GuestMemory.mapPrivate(file, List.of(new MemoryRange(0, 8 << 20))));
        assertTrue(size.getMessage().contains("holds " + (6 << 20) + " bytes, the memory layout needs " + (8 << 20)),
                size.getMessage());
        IllegalArgumentException pages = assertThrows(IllegalArgumentException.class,
                () -> GuestMemory.mapPrivate(file, List.of(new MemoryRange(0, (6 << 20) - 1), new MemoryRange(8 << 20, 1))));
        assertTrue(pages.getMessage().contains("not a whole number of 4096-byte pages"), pages.getMessage());
    }

    private Path writtenFile() throws Exception {
        try (GuestMemory memory = GuestMemory.mapAnonymous(LAYOUT)) {
            scribble(memory);
            Path file = dir.resolve("memory");
            memory.writeTo(file);
            return file;
        }
    }

    /** Data on a few pages of each region, with distinct bytes so a misplaced page shows. */
    private static void scribble(GuestMemory memory) {
        for (GuestMemory.Region region : memory.regions()) {
            for (long offset = 0; offset < region.size(); offset += 0x7_3000) {
                byte[] page = new byte[PAGE];
                for (int i = 0; i < PAGE; i++) {
                    page[i] = (byte) (offset / PAGE + i * 31 + region.guestAddress() / PAGE);
                }
                memory.write(region.guestAddress() + offset, page);
            }
        }
    }

    private static void fill(GuestMemory memory, long address, byte value) {
        byte[] page = new byte[PAGE];
        Arrays.fill(page, value);
        memory.write(address, page);
    }

    private static void assertSameContent(GuestMemory expected, GuestMemory actual) {
        assertEquals(expected.regions().size(), actual.regions().size());
        for (int i = 0; i < expected.regions().size(); i++) {
            MemorySegment a = expected.regions().get(i).host();
            MemorySegment b = actual.regions().get(i).host();
            assertEquals(expected.regions().get(i).guestAddress(), actual.regions().get(i).guestAddress());
            assertEquals(-1, a.mismatch(b), "region " + i + " differs at the byte given");
        }
    }

    /** The file's pages that hold data, by SEEK_DATA/SEEK_HOLE (holes take no disk). */
    static TreeSet<Long> dataPages(Path file) throws IOException {
        int fd = Libc.open(file.toString(), Libc.O_RDONLY | Libc.O_CLOEXEC);
        assertTrue(fd >= 0, "open " + file);
        try {
            TreeSet<Long> pages = new TreeSet<>();
            long size = Files.size(file);
            for (long position = 0; position < size; ) {
                long data = LibcFs.lseek(fd, position, LibcFs.SEEK_DATA);
                if (data == -Errno.ENXIO) {
                    break;
                }
                assertTrue(data >= 0, "SEEK_DATA: " + data);
                long hole = LibcFs.lseek(fd, data, LibcFs.SEEK_HOLE);
                for (long page = data / PAGE; page < (hole + PAGE - 1) / PAGE; page++) {
                    pages.add(page);
                }
                position = hole;
            }
            return pages;
        } finally {
            Libc.close(fd);
        }
    }
}
