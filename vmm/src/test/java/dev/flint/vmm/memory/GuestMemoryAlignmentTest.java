package dev.flint.vmm.memory;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Anonymous guest RAM starts on a 2 MiB boundary (real mmap). */
class GuestMemoryAlignmentTest {
    @Test
    void everyRegionStartsOnAHugePageAndAllOfItIsUsable() throws Exception {
        long size = 6L << 20;
        for (int attempt = 0; attempt < 4; attempt++) {   // mmap's own placement varies: several tries
            try (GuestMemory memory = GuestMemory.mapAnonymous(List.of(new MemoryRange(0, size)))) {
                MemorySegment ram = memory.regions().get(0).host();
                long start = ram.address();
                assertEquals(0, start % GuestMemory.HUGE_PAGE, "2 MiB-aligned");
                assertEquals(size, ram.byteSize());
                ram.set(JAVA_BYTE, 0, (byte) 1);
                ram.set(JAVA_BYTE, size - 1, (byte) 2);
                assertEquals(2, ram.get(JAVA_BYTE, size - 1));
                // The head and tail: their unmapping failing would have failed the map itself.
            }
        }
    }
}
