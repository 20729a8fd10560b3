package dev.flint.machine;

import dev.flint.vmm.memory.GuestMemory;
import dev.flint.vmm.memory.MemoryRange;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HostResidencyTest {
    private static final long MIB = 1 << 20;
    /** Pages are touched in whole, aligned 2 MiB blocks, so the counts hold with transparent huge pages too. */
    private static final long BLOCK = 2 * MIB;
    private static final long PRESENT = 1L << 63;
    private static final long SWAPPED = 1L << 62;
    private static final long FILE = 1L << 61;
    private static final long EXCLUSIVE = 1L << 56;

    /**
     * Three guests side by side in one anonymous mapping, as the kernel merges adjacent ones:
     * each range counts only the pages written inside it, not the mapping's whole resident set.
     */
    @Test
    void countsOnlyEachRangesOwnPagesOfAdjacentRegions() throws Exception {
        try (GuestMemory memory = GuestMemory.mapAnonymous(List.of(new MemoryRange(0, 12 * MIB + BLOCK)))) {
            MemorySegment mapping = memory.regions().getFirst().host();
            long aligned = (mapping.address() + BLOCK - 1) / BLOCK * BLOCK - mapping.address();
            MemorySegment first = mapping.asSlice(aligned, 4 * MIB);
            MemorySegment second = mapping.asSlice(aligned + 4 * MIB, 4 * MIB);
            MemorySegment third = mapping.asSlice(aligned + 8 * MIB, 4 * MIB);
            write(first, 0, 4 * MIB);
            write(second, 0, BLOCK);
            // third stays untouched. Not read either: some kernels (this CI's) allocate a page on a
            // read fault where others map the shared zero page, so a read's residency is the host's.

            assertEquals(4 * MIB, HostResidency.residentBytes(List.of(range(first))));
            assertEquals(BLOCK, HostResidency.residentBytes(List.of(range(second))));
            assertEquals(0, HostResidency.residentBytes(List.of(range(third))));
            assertEquals(6 * MIB, HostResidency.residentBytes(List.of(range(first), range(second), range(third))));
        }
    }

    /** Three regions mapped one after another, as three machines' memories are. */
    @Test
    void countsEachOfSeparateMappings() throws Exception {
        try (GuestMemory memory = GuestMemory.mapAnonymous(List.of(new MemoryRange(0, 4 * MIB),
                new MemoryRange(4 * MIB, 4 * MIB), new MemoryRange(8 * MIB, 4 * MIB)))) {
            List<GuestMemory.Region> regions = memory.regions();
            write(regions.get(0).host(), 0, 4 * MIB);
            write(regions.get(1).host(), 0, 1 * MIB);
            List<HostResidency.Range> ranges = regions.stream().map(r -> range(r.host())).toList();

            assertEquals(4 * MIB, HostResidency.residentBytes(List.of(ranges.get(0))));
            assertTrue(HostResidency.residentBytes(List.of(ranges.get(1))) >= MIB, "written pages are counted");
            assertTrue(HostResidency.residentBytes(List.of(ranges.get(1))) <= 4 * MIB, "no more than the region");
            assertEquals(0, HostResidency.residentBytes(List.of(ranges.get(2))));
        }
    }

    @Test
    void aPageCountsWhenPresentAndMappedOnlyHere() {
        assertTrue(HostResidency.ownResidentPage(PRESENT | EXCLUSIVE | 0x1234));
        assertTrue(HostResidency.ownResidentPage(PRESENT | EXCLUSIVE | FILE), "a memory file's page mapped once");
        assertFalse(HostResidency.ownResidentPage(PRESENT), "the zero page: present, no page of its own");
        assertFalse(HostResidency.ownResidentPage(PRESENT | FILE), "the huge zero page, or a file page shared");
        assertFalse(HostResidency.ownResidentPage(SWAPPED), "swapped out is not resident");
        assertFalse(HostResidency.ownResidentPage(EXCLUSIVE), "not present");
        assertFalse(HostResidency.ownResidentPage(0));
    }

    @Test
    void aRangeCoversEveryPageItTouches() {
        assertEquals(1, new HostResidency.Range(0x1000, 0x1000).pages());
        assertEquals(2, new HostResidency.Range(0x1800, 0x1000).pages());
        assertEquals(0x1, new HostResidency.Range(0x1800, 0x1000).firstPage());
        assertEquals(0, new HostResidency.Range(0x1000, 0).pages());
    }

    private static HostResidency.Range range(MemorySegment segment) {
        return new HostResidency.Range(segment.address(), segment.byteSize());
    }

    private static void write(MemorySegment memory, long from, long length) {
        for (long at = from; at < from + length; at += HostResidency.PAGE) {
            memory.set(ValueLayout.JAVA_BYTE, at, (byte) 1);
        }
    }
}
