package dev.flint.vmm.memory;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** RAM below the 32-bit MMIO hole (3 GiB to 4 GiB), and whatever does not fit there above 4 GiB. */
class X86MemoryMapTest {
    private static final long MIB = 1L << 20;
    private static final long GIB = 1L << 30;

    @Test
    void smallGuestIsOneRangeFromZero() {
        assertEquals(List.of(new MemoryRange(0, 512 * MIB)), X86MemoryMap.ramRanges(512 * MIB));
    }

    @Test
    void guestThatFillsExactlyUpToTheHoleIsStillOneRange() {
        assertEquals(List.of(new MemoryRange(0, 3 * GIB)), X86MemoryMap.ramRanges(3072 * MIB));
    }

    @Test
    void fourGibibyteGuestPutsItsLastGibibyteAboveFourGib() {
        assertEquals(List.of(new MemoryRange(0, 3 * GIB), new MemoryRange(4 * GIB, GIB)),
                X86MemoryMap.ramRanges(4096 * MIB));
    }

    @Test
    void eightGibibyteGuestPutsFiveGibibytesAboveFourGib() {
        List<MemoryRange> ranges = X86MemoryMap.ramRanges(8192 * MIB);
        assertEquals(List.of(new MemoryRange(0, 3 * GIB), new MemoryRange(4 * GIB, 5 * GIB)), ranges);
        assertEquals(8 * GIB, ranges.stream().mapToLong(MemoryRange::size).sum(), "no RAM lost to the hole");
        assertEquals(9 * GIB, ranges.get(1).end());
    }

    @Test
    void noRangeTouchesTheHole() {
        for (long mb : new long[] {64, 512, 3071, 3072, 3073, 4096, 8192, 65536}) {
            for (MemoryRange range : X86MemoryMap.ramRanges(mb * MIB)) {
                boolean overlaps = range.start() < X86MemoryMap.MMIO_HOLE_END && X86MemoryMap.MMIO_HOLE_START < range.end();
                assertEquals(false, overlaps, mb + " MiB: " + range + " overlaps the MMIO hole");
            }
        }
    }

    @Test
    void rejectsTinyOrRaggedSizes() {
        assertThrows(IllegalArgumentException.class, () -> X86MemoryMap.ramRanges(16 * MIB));
        assertThrows(IllegalArgumentException.class, () -> X86MemoryMap.ramRanges(64 * MIB + 1));
    }
}
