package dev.flint.vmm.boot;

import dev.flint.vmm.memory.GuestMemory;
import dev.flint.vmm.memory.MemoryRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KernelLoaderTest {
    @TempDir
    Path dir;

    private final GuestMemory memory = GuestMemory.onHeap(List.of(new MemoryRange(0, 64L << 20)));

    @Test
    void loadsElfSegmentsAtTheirPhysicalAddressAndZeroesBss() throws Exception {
        memory.slice(KernelFixtures.ELF_LOAD_ADDRESS, 256).fill((byte) 0x55);
        Path kernel = KernelFixtures.write(dir, "vmlinux", KernelFixtures.elf(KernelFixtures.ELF_LOAD_ADDRESS));

        KernelImage image = KernelLoader.load(kernel, memory);

        int n = KernelFixtures.PAYLOAD.length;
        assertEquals(KernelFixtures.ELF_LOAD_ADDRESS, image.entry());
        assertEquals(KernelFixtures.ELF_LOAD_ADDRESS + n + 64, image.end());
        assertArrayEquals(KernelFixtures.PAYLOAD, memory.read(KernelFixtures.ELF_LOAD_ADDRESS, n));
        assertArrayEquals(new byte[64], memory.read(KernelFixtures.ELF_LOAD_ADDRESS + n, 64));
        assertTrue(image.setupHeader().isEmpty());
        assertEquals(2047, image.cmdlineLimit());
    }

    /** Fresh memory needs no zeroing: the loader writes none, so what was there stays. */
    @Test
    void leavesTheBssOfFreshMemoryUnwritten() throws Exception {
        int n = KernelFixtures.PAYLOAD.length;
        memory.slice(KernelFixtures.ELF_LOAD_ADDRESS, 256).fill((byte) 0x55);
        Path kernel = KernelFixtures.write(dir, "vmlinux", KernelFixtures.elf(KernelFixtures.ELF_LOAD_ADDRESS));

        KernelImage image = KernelLoader.loadIntoFreshMemory(kernel, memory);

        assertEquals(KernelFixtures.ELF_LOAD_ADDRESS + n + 64, image.end());
        assertArrayEquals(KernelFixtures.PAYLOAD, memory.read(KernelFixtures.ELF_LOAD_ADDRESS, n));
        byte[] untouched = new byte[64];
        Arrays.fill(untouched, (byte) 0x55);
        assertArrayEquals(untouched, memory.read(KernelFixtures.ELF_LOAD_ADDRESS + n, 64));
    }

    @Test
    void freshAnonymousMemoryHasAZeroBss() throws Exception {
        Path kernel = KernelFixtures.write(dir, "vmlinux", KernelFixtures.elf(KernelFixtures.ELF_LOAD_ADDRESS));
        try (GuestMemory fresh = GuestMemory.mapAnonymous(List.of(new MemoryRange(0, 64L << 20)))) {
            KernelLoader.loadIntoFreshMemory(kernel, fresh);
            int n = KernelFixtures.PAYLOAD.length;
            assertArrayEquals(KernelFixtures.PAYLOAD, fresh.read(KernelFixtures.ELF_LOAD_ADDRESS, n));
            assertArrayEquals(new byte[64], fresh.read(KernelFixtures.ELF_LOAD_ADDRESS + n, 64));
        }
    }

    @Test
    void rejectsAnElfWhoseEntryIsOutsideItsSegments() throws Exception {
        Path kernel = KernelFixtures.write(dir, "vmlinux", KernelFixtures.elf(0x200_0000));
        var e = assertThrows(InvalidKernelException.class, () -> KernelLoader.load(kernel, memory));
        assertTrue(e.getMessage().contains("entry point 0x2000000"), e.getMessage());
    }

    @Test
    void rejectsAnElfForAnotherMachine() throws Exception {
        ByteBuffer elf = KernelFixtures.elf(KernelFixtures.ELF_LOAD_ADDRESS);
        elf.putShort(18, (short) 183);
        Path kernel = KernelFixtures.write(dir, "vmlinux", elf);
        var e = assertThrows(InvalidKernelException.class, () -> KernelLoader.probe(kernel));
        assertTrue(e.getMessage().contains("not x86-64"), e.getMessage());
    }

    @Test
    void rejectsAnElfSegmentBeyondGuestMemory() throws Exception {
        ByteBuffer elf = KernelFixtures.elf(128L << 20);
        elf.putLong(64 + 24, 128L << 20);
        Path kernel = KernelFixtures.write(dir, "vmlinux", elf);
        var e = assertThrows(InvalidKernelException.class, () -> KernelLoader.load(kernel, memory));
        assertTrue(e.getMessage().contains("give the machine more memory"), e.getMessage());
    }

    @Test
    void rejectsATruncatedProgramHeaderTable() throws Exception {
        ByteBuffer elf = KernelFixtures.elf(KernelFixtures.ELF_LOAD_ADDRESS);
        elf.putShort(56, (short) 40);
        Path kernel = KernelFixtures.write(dir, "vmlinux", elf);
        assertThrows(InvalidKernelException.class, () -> KernelLoader.load(kernel, memory));
    }

    @Test
    void loadsABzImageAtOneMegabyteWithItsSetupHeader() throws Exception {
        Path kernel = KernelFixtures.write(dir, "bzImage", KernelFixtures.bzImage(0x020f, BzImage.XLF_KERNEL_64));

        KernelImage image = KernelLoader.load(kernel, memory);

        assertEquals(BootLayout.HIMEM_START + 0x200, image.entry());
        assertArrayEquals(KernelFixtures.PAYLOAD, memory.read(BootLayout.HIMEM_START, KernelFixtures.PAYLOAD.length));
        byte[] header = image.setupHeader().orElseThrow();
        assertEquals(0x202 + 0x66 - 0x1f1, header.length);
        assertEquals(1, header[0], "setup_sects is the header's first byte");
        assertEquals(4095, image.cmdlineLimit());
        assertEquals(0x7fff_ffffL, image.initrdAddrMax());
        assertEquals(0x100_0000 + 0x20_0000, image.end(), "decompressed kernel end = pref_address + init_size");
    }

    @Test
    void rejectsOldProtocolsAndKernelsWithoutA64BitEntry() throws Exception {
        Path old = KernelFixtures.write(dir, "old", KernelFixtures.bzImage(0x0206, BzImage.XLF_KERNEL_64));
        var e = assertThrows(InvalidKernelException.class, () -> KernelLoader.probe(old));
        assertTrue(e.getMessage().contains("boot protocol 2.06"), e.getMessage());

        Path no64 = KernelFixtures.write(dir, "no64", KernelFixtures.bzImage(0x020f, 0));
        e = assertThrows(InvalidKernelException.class, () -> KernelLoader.probe(no64));
        assertTrue(e.getMessage().contains("64-bit entry"), e.getMessage());
    }

    @Test
    void rejectsFilesThatAreNotKernels() throws Exception {
        Path text = dir.resolve("notes.txt");
        Files.writeString(text, "hello, this is not a kernel");
        var e = assertThrows(InvalidKernelException.class, () -> KernelLoader.probe(text));
        assertTrue(e.getMessage().contains("neither an ELF vmlinux nor a bzImage"), e.getMessage());
        assertThrows(InvalidKernelException.class, () -> KernelLoader.probe(dir.resolve("missing")));
    }
}
