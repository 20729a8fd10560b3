package dev.flint.machine;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HostResidencyTest {
    private static final List<String> SMAPS = List.of(
            "7f0000000000-7f0000400000 rw-p 00000000 00:00 0",
            "Size:               4096 kB",
            "Rss:                 512 kB",
            "7f0000400000-7f0000800000 rw-p 00000000 00:00 0",
            "Rss:                1024 kB",
            "55d000000000-55d000001000 r-xp 00000000 08:01 123   /usr/bin/java",
            "Rss:                   4 kB");

    @Test
    void sumsTheRssOfMappingsThatOverlapTheRanges() {
        HostResidency.Range guest = new HostResidency.Range(0x7f0000000000L, 0x800000);
        assertEquals((512 + 1024) * 1024L, HostResidency.residentBytes(SMAPS, List.of(guest)));
        assertEquals(512 * 1024L, HostResidency.residentBytes(SMAPS, List.of(new HostResidency.Range(0x7f0000000000L, 0x1000))));
        assertEquals(0, HostResidency.residentBytes(SMAPS, List.of(new HostResidency.Range(0x1000, 0x1000))));
    }

    @Test
    void seesPagesThisProcessTouched() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment memory = arena.allocate(8 << 20, 4096);
            HostResidency.Range range = new HostResidency.Range(memory.address(), memory.byteSize());
            memory.fill((byte) 1);
            assertTrue(HostResidency.residentBytes(List.of(range)) >= 4096, "touched pages are resident");
        }
    }
}
