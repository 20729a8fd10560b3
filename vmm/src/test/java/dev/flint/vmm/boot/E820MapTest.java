package dev.flint.vmm.boot;

import dev.flint.vmm.memory.X86MemoryMap;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The e820 map the guest gets for the memory sizes that cross the 32-bit hole, and the ones that do not. */
class E820MapTest {
    private static final long MIB = 1L << 20;
    private static final long GIB = 1L << 30;
    private static final E820Entry BASE_RAM = new E820Entry(0, 0x9fc00, E820Entry.RAM);
    private static final E820Entry EBDA_AND_BIOS = new E820Entry(0x9fc00, 0x100000 - 0x9fc00, E820Entry.RESERVED);

    private static List<E820Entry> mapFor(long memoryMb) {
        return E820Entry.mapFor(X86MemoryMap.ramRanges(memoryMb * MIB));
    }

    @Test
    void guestOf512MegabytesHasOneHighRange() {
        assertEquals(List.of(BASE_RAM, EBDA_AND_BIOS, new E820Entry(0x100000, 512 * MIB - 0x100000, E820Entry.RAM)),
                mapFor(512));
    }

    @Test
    void guestOf3072MegabytesEndsAtTheHole() {
        assertEquals(List.of(BASE_RAM, EBDA_AND_BIOS, new E820Entry(0x100000, 3 * GIB - 0x100000, E820Entry.RAM)),
                mapFor(3072));
    }

    @Test
    void guestOf4096MegabytesHasASecondRangeAtFourGib() {
        assertEquals(List.of(BASE_RAM, EBDA_AND_BIOS,
                new E820Entry(0x100000, 3 * GIB - 0x100000, E820Entry.RAM),
                new E820Entry(4 * GIB, GIB, E820Entry.RAM)), mapFor(4096));
    }

    @Test
    void guestOf8192MegabytesHasFiveGibibytesAboveFourGib() {
        assertEquals(List.of(BASE_RAM, EBDA_AND_BIOS,
                new E820Entry(0x100000, 3 * GIB - 0x100000, E820Entry.RAM),
                new E820Entry(4 * GIB, 5 * GIB, E820Entry.RAM)), mapFor(8192));
    }

    @Test
    void ramReportedAddsUpToTheMemoryAskedForLessTheReservedArea() {
        for (long mb : new long[] {512, 3072, 4096, 8192}) {
            long ram = mapFor(mb).stream().filter(e -> e.type() == E820Entry.RAM).mapToLong(E820Entry::size).sum();
            assertEquals(mb * MIB - (0x100000 - 0x9fc00), ram, mb + " MiB");
        }
    }

    @Test
    void mpTableAreaIsReservedForEverySize() {
        for (long mb : new long[] {512, 3072, 4096, 8192}) {
            List<E820Entry> map = mapFor(mb);
            assertTrue(map.stream().anyMatch(e -> e.type() == E820Entry.RESERVED
                    && e.address() <= BootLayout.MP_TABLE_ADDRESS && BootLayout.MP_TABLE_ADDRESS < e.end()), mb + " MiB");
            assertTrue(map.stream().noneMatch(e -> e.type() == E820Entry.RAM
                    && e.address() <= BootLayout.MP_TABLE_ADDRESS && BootLayout.MP_TABLE_ADDRESS < e.end()), mb + " MiB");
        }
    }

    @Test
    void rejectsRamThatDoesNotStartAtZero() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> E820Entry.mapFor(List.of(new dev.flint.vmm.memory.MemoryRange(1L << 32, GIB))));
        assertTrue(e.getMessage().contains("[0, 1 MiB)"), e.getMessage());
    }
}
