package dev.flint.benchmarks.rig;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VmmMemoryTest {
    private static final long RAM = 64L << 20;

    /** As QEMU 7.2 maps a 64 MiB microvm: its RAM alone, a guard page after it, a heap and a TCG buffer beside. */
    private static final List<String> QEMU_SMAPS = List.of(
            "564585a06000-564589a06000 rw-p 00000000 00:00 0                          [heap]",
            "Rss:                5584 kB",
            "7f1f6c021000-7f1f70000000 ---p 00000000 00:00 0 ",
            "Rss:                   0 kB",
            "7f1f73e00000-7f1f77e00000 rw-p 00000000 00:00 0 ",
            "Size:              65536 kB",
            "Rss:               28672 kB",
            "VmFlags: rd wr mr mw me ac sd ",
            "7f1f77e00000-7f1f77e01000 ---p 00000000 00:00 0 ",
            "Rss:                   0 kB",
            "7f1f78000000-7f1fb7fff000 rwxp 00000000 00:00 0 ",
            "Rss:                2048 kB",
            "7f1fbdec5000-7f1fc1ec5000 r-xp 000c5000 fe:00 5595147                    /usr/lib/libbig.so",
            "Rss:                 900 kB");

    @Test
    void takesTheRssOfTheOneAnonymousMappingOfTheRamsSize() throws Exception {
        assertEquals(28672, VmmMemory.guestRamRssKib(QEMU_SMAPS, RAM));
    }

    @Test
    void refusesWhenTheRamCannotBeToldApart() {
        var none = assertThrows(IOException.class, () -> VmmMemory.guestRamRssKib(QEMU_SMAPS, 128L << 20));
        assertTrue(none.getMessage().contains("0 anonymous read-write mappings of 128 MiB"), none.getMessage());
        List<String> twice = new ArrayList<>(QEMU_SMAPS);
        twice.addAll(List.of("7f2000000000-7f2004000000 rw-p 00000000 00:00 0 ", "Rss:                   4 kB"));
        assertThrows(IOException.class, () -> VmmMemory.guestRamRssKib(twice, RAM));
    }

    @Test
    void aSplitFitsOnlyWhenTheGuestIsInsideTheProcess() {
        assertEquals(12_000, new VmmMemory.Split(40_000, 28_000).vmmKib());
        assertTrue(new VmmMemory.Split(28_000, 28_000).fits());
        assertFalse(new VmmMemory.Split(20_000, 28_000).fits(), "guest pages beyond the resident set");
        assertFalse(new VmmMemory.Split(20_000, -1).fits());
    }

    @Test
    void readsThisProcesssResidentSet() throws Exception {
        assertTrue(VmmMemory.residentKib(ProcessHandle.current().pid()) > 1024, "a JVM holds more than 1 MiB");
    }
}
