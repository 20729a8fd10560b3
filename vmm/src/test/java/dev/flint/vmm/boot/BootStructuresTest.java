package dev.flint.vmm.boot;

import dev.flint.vmm.memory.GuestMemory;
import dev.flint.vmm.memory.MemoryRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Page tables, GDT, command line, initramfs placement and the e820 map. */
class BootStructuresTest {
    @TempDir
    Path dir;

    private final GuestMemory memory = GuestMemory.onHeap(List.of(new MemoryRange(0, 64L << 20)));

    @Test
    void pageTablesIdentityMapTheFirstGigabyteWithLargePages() {
        assertEquals(0x9000, PageTables.write(memory));
        assertEquals(0xa003L, memory.slice(0x9000, 8).get(JAVA_LONG_UNALIGNED, 0));
        assertEquals(0xb003L, memory.slice(0xa000, 8).get(JAVA_LONG_UNALIGNED, 0));
        assertEquals(0x83L, memory.slice(0xb000, 8).get(JAVA_LONG_UNALIGNED, 0));
        assertEquals((1L << 21) | 0x83, memory.slice(0xb008, 8).get(JAVA_LONG_UNALIGNED, 0));
        assertEquals((511L << 21) | 0x83, memory.slice(0xb000 + 511 * 8, 8).get(JAVA_LONG_UNALIGNED, 0));
    }

    @Test
    void gdtHoldsTheDescriptorsFirecrackerUses() {
        Gdt.write(memory);
        assertEquals(0L, memory.slice(0x500, 8).get(JAVA_LONG_UNALIGNED, 0));
        assertEquals(0x00af_9b00_0000_ffffL, memory.slice(0x508, 8).get(JAVA_LONG_UNALIGNED, 0));
        assertEquals(0x00cf_9300_0000_ffffL, memory.slice(0x510, 8).get(JAVA_LONG_UNALIGNED, 0));
        assertEquals(0x008f_8b00_0000_ffffL, memory.slice(0x518, 8).get(JAVA_LONG_UNALIGNED, 0));
        assertEquals(31, Gdt.GDT_LIMIT);
    }

    @Test
    void segmentDescriptorFieldsDecodeTheFlags() {
        SegmentDescriptor code = Gdt.CODE;
        assertEquals(0xb, code.type());
        assertTrue(code.present());
        assertTrue(code.longMode());
        assertTrue(code.granular());
        assertEquals(false, code.defaultBig());
        assertEquals(false, code.system());
        assertEquals(0xffff_ffff, code.effectiveLimit());
        assertTrue(Gdt.TSS.system());
    }

    @Test
    void commandLineIsWrittenNulTerminatedAndLimited() {
        int written = CommandLine.write(memory, "console=ttyS0", 2047);
        assertEquals(14, written);
        assertArrayEquals("console=ttyS0\0".getBytes(), memory.read(BootLayout.CMDLINE_ADDRESS, 14));
        var tooLong = assertThrows(IllegalArgumentException.class, () -> CommandLine.write(memory, "x".repeat(20), 19));
        assertTrue(tooLong.getMessage().contains("at most 19"), tooLong.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CommandLine.write(memory, "a\nb", 100));
        assertThrows(IllegalArgumentException.class, () -> CommandLine.write(memory, "caf\u00e9", 100));
    }

    @Test
    void initramfsGoesPageAlignedToTheTopOfLowMemory() throws Exception {
        Path cpio = dir.resolve("initrd");
        byte[] bytes = new byte[10_000];
        bytes[0] = 7;
        bytes[9_999] = 9;
        Files.write(cpio, bytes);
        KernelImage kernel = new KernelImage(0x100_0000, 0x200_0000, Optional.empty(), 2047, 0x7fff_ffff);

        Initrd initrd = Initrd.load(cpio, memory, kernel);

        assertEquals(10_000, initrd.size());
        assertEquals(0, initrd.address() % 4096);
        assertEquals(((64L << 20) - 10_000) & ~4095L, initrd.address());
        assertArrayEquals(bytes, memory.read(initrd.address(), 10_000));
    }

    @Test
    void initramfsRespectsInitrdAddrMaxAndRefusesToOverlapTheKernel() throws Exception {
        Path cpio = dir.resolve("initrd");
        Files.write(cpio, new byte[8192]);
        KernelImage lowMax = new KernelImage(0x100_0000, 0x200_0000, Optional.empty(), 2047, 0x2ff_ffff);
        assertEquals(0x300_0000 - 8192, Initrd.load(cpio, memory, lowMax).address());

        KernelImage huge = new KernelImage(0x100_0000, 0x3ff_f000, Optional.empty(), 2047, 0x7fff_ffff);
        var e = assertThrows(InvalidKernelException.class, () -> Initrd.load(cpio, memory, huge));
        assertTrue(e.getMessage().contains("more memory"), e.getMessage());
    }

    @Test
    void e820CoversEveryRegionAboveOneMegabyte() {
        GuestMemory split = GuestMemory.onHeap(List.of(new MemoryRange(0, 8L << 20), new MemoryRange(1L << 32, 4L << 20)));
        List<E820Entry> map = E820Entry.mapFor(split);
        assertEquals(List.of(
                new E820Entry(0, 0x9fc00, E820Entry.RAM),
                new E820Entry(0x9fc00, 0x100000 - 0x9fc00, E820Entry.RESERVED),
                new E820Entry(0x100000, (8L << 20) - 0x100000, E820Entry.RAM),
                new E820Entry(1L << 32, 4L << 20, E820Entry.RAM)), map);
    }

    @Test
    void guestMemoryRejectsAccessOutsideRam() {
        assertThrows(IllegalArgumentException.class, () -> memory.slice((64L << 20) - 4, 8));
        assertThrows(IllegalArgumentException.class, () -> memory.slice(-1, 1));
        assertThrows(IllegalArgumentException.class, () -> memory.slice(0, -1));
        assertTrue(memory.contains(0, 64L << 20));
    }
}
