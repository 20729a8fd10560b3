package dev.flint.vmm.boot;

import dev.flint.vmm.memory.GuestMemory;
import dev.flint.vmm.memory.MemoryRange;
import dev.flint.vmm.memory.X86MemoryMap;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ZeroPageTest {
    private final GuestMemory memory = GuestMemory.onHeap(List.of(new MemoryRange(0, 64L << 20)));
    private final KernelImage vmlinux = new KernelImage(0x100_0000, 0x200_0000, Optional.empty(), 2047, 0x7fff_ffff);

    private MemorySegment page() {
        return memory.slice(BootLayout.ZERO_PAGE_ADDRESS, ZeroPage.SIZE);
    }

    @Test
    void writesTheHeaderFieldsAVmlinuxNeeds() {
        ZeroPage.write(memory, vmlinux, BootLayout.CMDLINE_ADDRESS, 42, new Initrd(0x300_0000, 0x1234),
                E820Entry.mapFor(memory));
        MemorySegment p = page();
        assertEquals((short) 0xaa55, p.get(JAVA_SHORT_UNALIGNED, 0x1fe));
        assertEquals(0x53726448, p.get(JAVA_INT_UNALIGNED, 0x202));
        assertEquals((byte) 0xff, p.get(JAVA_BYTE, 0x210));
        assertEquals(0x81, p.get(JAVA_BYTE, 0x211) & 0xff, "LOADED_HIGH | CAN_USE_HEAP");
        assertEquals(0x300_0000, p.get(JAVA_INT_UNALIGNED, 0x218));
        assertEquals(0x1234, p.get(JAVA_INT_UNALIGNED, 0x21c));
        assertEquals((short) 0xfe00, p.get(JAVA_SHORT_UNALIGNED, 0x224));
        assertEquals(0x20000, p.get(JAVA_INT_UNALIGNED, 0x228));
        assertEquals(0x100_0000, p.get(JAVA_INT_UNALIGNED, 0x230));
        assertEquals(42, p.get(JAVA_INT_UNALIGNED, 0x238));
    }

    @Test
    void writesTheE820Table() {
        ZeroPage.write(memory, vmlinux, BootLayout.CMDLINE_ADDRESS, 1, null, E820Entry.mapFor(memory));
        MemorySegment p = page();
        assertEquals(3, p.get(JAVA_BYTE, 0x1e8));
        assertEquals(0L, p.get(JAVA_LONG_UNALIGNED, 0x2d0));
        assertEquals(0x9fc00L, p.get(JAVA_LONG_UNALIGNED, 0x2d0 + 8));
        assertEquals(E820Entry.RAM, p.get(JAVA_INT_UNALIGNED, 0x2d0 + 16));
        assertEquals(0x9fc00L, p.get(JAVA_LONG_UNALIGNED, 0x2d0 + 20));
        assertEquals(E820Entry.RESERVED, p.get(JAVA_INT_UNALIGNED, 0x2d0 + 20 + 16));
        assertEquals(0x100000L, p.get(JAVA_LONG_UNALIGNED, 0x2d0 + 40));
        assertEquals((64L << 20) - 0x100000, p.get(JAVA_LONG_UNALIGNED, 0x2d0 + 48));
        assertEquals(0, p.get(JAVA_INT_UNALIGNED, 0x218), "no initramfs, no ramdisk_image");
    }

    @Test
    void copiesABzImageSetupHeaderAndKeepsItsLoadflags() {
        byte[] header = new byte[0x202 + 0x66 - 0x1f1];
        header[0] = 7;
        header[0x211 - 0x1f1] = 0x01;
        KernelImage bz = new KernelImage(0x100200, 0x200_0000, Optional.of(header), 4095, 0x7fff_ffff);
        ZeroPage.write(memory, bz, BootLayout.CMDLINE_ADDRESS, 1, null, E820Entry.mapFor(memory));
        assertEquals(7, page().get(JAVA_BYTE, 0x1f1));
        assertEquals(0x81, page().get(JAVA_BYTE, 0x211) & 0xff);
        assertEquals(0, page().get(JAVA_INT_UNALIGNED, 0x230), "kernel_alignment comes from the image, not us");
    }

    @Test
    void e820SkipsTheMmioHoleForLargeGuests() {
        var ranges = X86MemoryMap.ramRanges(4096L << 20);
        assertEquals(2, ranges.size());
        assertEquals(new MemoryRange(0, 0xC000_0000L), ranges.get(0));
        assertEquals(new MemoryRange(0x1_0000_0000L, 1L << 30), ranges.get(1));
    }

    @Test
    void memoryMapRejectsTinyOrRaggedSizes() {
        assertThrows(IllegalArgumentException.class, () -> X86MemoryMap.ramRanges(16L << 20));
        assertThrows(IllegalArgumentException.class, () -> X86MemoryMap.ramRanges((64L << 20) + 1));
    }
}
