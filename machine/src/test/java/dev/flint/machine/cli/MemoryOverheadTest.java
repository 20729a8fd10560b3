package dev.flint.machine.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MemoryOverheadTest {
    private static final long MIB = 1 << 20;

    @Test
    void isTheGrowthBeyondTheGuestPagesPerMachine() throws Exception {
        MemoryOverhead overhead = MemoryOverhead.checked(100 * MIB, 190 * MIB, 84 * MIB, 3);
        assertEquals(90 * MIB, overhead.growthBytes());
        assertEquals(6 * MIB, overhead.vmmBytes());
        assertEquals(2.0, overhead.vmmMibPerMachine(), 1e-9);
        assertEquals(0.0, MemoryOverhead.checked(100 * MIB, 184 * MIB, 84 * MIB, 3).vmmMibPerMachine(), 1e-9);
    }

    /** The figure the smaps count gave: guest pages beyond the growth are refused, not clamped. */
    @Test
    void refusesGuestPagesBeyondTheGrowth() {
        var e = assertThrows(MemoryOverhead.ImpossibleFigure.class,
                () -> MemoryOverhead.checked(300 * MIB, (long) (389.3 * MIB), 252 * MIB, 3));
        assertTrue(e.getMessage().contains("grew by 89.3 MiB") && e.getMessage().contains("252.0 MiB"), e.getMessage());
    }

    @Test
    void refusesGuestPagesBeyondTheWholeResidentSet() {
        var e = assertThrows(MemoryOverhead.ImpossibleFigure.class,
                () -> MemoryOverhead.checked(0, 100 * MIB, 101 * MIB, 1));
        assertTrue(e.getMessage().contains("do not fit"), e.getMessage());
        assertThrows(MemoryOverhead.ImpossibleFigure.class, () -> MemoryOverhead.checked(0, 100 * MIB, -1, 1));
    }

    @Test
    void needsAMachine() {
        assertThrows(IllegalArgumentException.class, () -> MemoryOverhead.checked(0, MIB, 0, 0));
    }
}
