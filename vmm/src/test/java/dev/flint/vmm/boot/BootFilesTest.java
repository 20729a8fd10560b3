package dev.flint.vmm.boot;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Truncated and corrupt kernels and initramfs files are refused whole, before a VM exists. */
class BootFilesTest {
    private static final long GUEST = 64L << 20;
    private static final int ELF_SIZE = 64 + 56 + KernelFixtures.PAYLOAD.length;
    private static final int BZ_SETUP = 2 * 512;

    @TempDir
    Path dir;

    private static ByteBuffer elf() {
        return KernelFixtures.elf(KernelFixtures.ELF_LOAD_ADDRESS);
    }

    private static ByteBuffer bzImage() {
        return KernelFixtures.bzImage(0x020f, BzImage.XLF_KERNEL_64);
    }

    private Path initrd(int bytes) throws Exception {
        return Files.write(dir.resolve("initrd-" + bytes), new byte[bytes]);
    }

    private static void assertRefused(Executable check, String... texts) {
        String message = assertThrows(InvalidKernelException.class, check).getMessage();
        for (String text : texts) {
            assertTrue(message.contains(text), message);
        }
    }

    @Test
    void wholeKernelsAndAnInitramfsThatFitPass() throws Exception {
        Path cpio = initrd(8192);
        BootFiles.check(KernelFixtures.write(dir, "vmlinux", elf()), Optional.of(cpio), GUEST);
        BootFiles.check(KernelFixtures.write(dir, "bzImage", bzImage()), Optional.of(cpio), GUEST);
        BootFiles.check(KernelFixtures.write(dir, "bzImage", bzImage()), Optional.empty(), GUEST);
    }

    @Test
    void aTruncatedElfIsRefused() throws Exception {
        Path cutInSegment = KernelFixtures.truncated(dir, "vmlinux", elf(), ELF_SIZE - 5);
        assertRefused(() -> KernelLoader.probe(cutInSegment), "truncated", "segment 0", "copy the whole kernel file again");
        assertRefused(() -> BootFiles.check(cutInSegment, Optional.empty(), GUEST), "truncated");

        Path cutInHeaders = KernelFixtures.truncated(dir, "vmlinux", elf(), 64 + 20);
        assertRefused(() -> KernelLoader.probe(cutInHeaders), "truncated", "program header table");
        Path cutInElfHeader = KernelFixtures.truncated(dir, "vmlinux", elf(), 40);
        assertRefused(() -> KernelLoader.probe(cutInElfHeader), "truncated ELF file");
    }

    @Test
    void corruptElfProgramHeadersAreRefused() throws Exception {
        ByteBuffer fileLargerThanMemory = elf().putLong(64 + 40, 4);
        assertRefused(() -> KernelLoader.probe(KernelFixtures.write(dir, "a", fileLargerThanMemory)), "larger in the file");
        ByteBuffer hugeOffset = elf().putLong(32, Long.MAX_VALUE - 8);
        assertRefused(() -> KernelLoader.probe(KernelFixtures.write(dir, "b", hugeOffset)), "program header table");
        ByteBuffer negativeSegment = elf().putLong(64 + 8, -1);
        assertRefused(() -> KernelLoader.probe(KernelFixtures.write(dir, "c", negativeSegment)), "segment 0");
        ByteBuffer wrappingAddress = elf().putLong(64 + 24, Long.MAX_VALUE - 10);
        assertRefused(() -> KernelLoader.probe(KernelFixtures.write(dir, "d", wrappingAddress)), "impossible physical");
        ByteBuffer wrongEntrySize = elf().putShort(54, (short) 32);
        assertRefused(() -> KernelLoader.probe(KernelFixtures.write(dir, "e", wrongEntrySize)), "malformed program header");
        ByteBuffer noEntries = elf().putShort(56, (short) 0);
        assertRefused(() -> KernelLoader.probe(KernelFixtures.write(dir, "f", noEntries)), "malformed program header");
    }

    @Test
    void anElfOverTheBootStructuresOrBeyondMemoryIsRefused() throws Exception {
        Path low = KernelFixtures.write(dir, "low", KernelFixtures.elf(0x7000).putLong(64 + 24, 0x7000));
        KernelLoader.probe(low);   // a well-formed file: only a guest's layout refuses it
        assertRefused(() -> BootFiles.check(low, Optional.empty(), GUEST), "first MiB");

        Path high = KernelFixtures.write(dir, "high", KernelFixtures.elf(128L << 20).putLong(64 + 24, 128L << 20));
        assertRefused(() -> BootFiles.check(high, Optional.empty(), GUEST), "guest of 64 MiB", "more memory");
        BootFiles.check(high, Optional.empty(), 256L << 20);
    }

    @Test
    void aTruncatedBzImageIsRefused() throws Exception {
        Path cutInKernel = KernelFixtures.truncated(dir, "bzImage", bzImage(), BZ_SETUP + 10);
        assertRefused(() -> KernelLoader.probe(cutInKernel), "truncated", "syssize", "copy the whole kernel file again");
        assertRefused(() -> BootFiles.check(cutInKernel, Optional.empty(), GUEST), "truncated");

        Path cutInSetup = KernelFixtures.truncated(dir, "bzImage", bzImage(), 0x300);
        assertRefused(() -> KernelLoader.probe(cutInSetup), "truncated", "setup code");
        Path cutInHeader = KernelFixtures.truncated(dir, "bzImage", bzImage(), 0x240);
        assertRefused(() -> KernelLoader.probe(cutInHeader), "too short to be a bzImage");
        ByteBuffer moreSetupThanFile = bzImage().put(BzImage.SETUP_SECTS, (byte) 200);
        assertRefused(() -> KernelLoader.probe(KernelFixtures.write(dir, "s", moreSetupThanFile)), "truncated", "setup code");
    }

    @Test
    void corruptBzImageSizesAreRefused() throws Exception {
        ByteBuffer payloadBeyondFile = bzImage().putInt(BzImage.PAYLOAD_LENGTH, 1000);
        assertRefused(() -> KernelLoader.probe(KernelFixtures.write(dir, "a", payloadBeyondFile)), "compressed payload");
        ByteBuffer payloadOffsetBeyondFile = bzImage().putInt(BzImage.PAYLOAD_OFFSET, -1);
        assertRefused(() -> KernelLoader.probe(KernelFixtures.write(dir, "b", payloadOffsetBeyondFile)), "compressed payload");
        ByteBuffer noSize = bzImage().putInt(BzImage.SYSSIZE, 0);
        assertRefused(() -> KernelLoader.probe(KernelFixtures.write(dir, "c", noSize)), "syssize 0");
        ByteBuffer lowDecompression = bzImage().putLong(BzImage.PREF_ADDRESS, 0x1000);
        assertRefused(() -> KernelLoader.probe(KernelFixtures.write(dir, "d", lowDecompression)), "corrupt setup header");
        ByteBuffer noInitSize = bzImage().putInt(BzImage.INIT_SIZE, 0);
        assertRefused(() -> KernelLoader.probe(KernelFixtures.write(dir, "e", noInitSize)), "corrupt setup header");
    }

    @Test
    void aBzImageThatDecompressesBeyondMemoryIsRefused() throws Exception {
        Path big = KernelFixtures.write(dir, "big", bzImage().putInt(BzImage.INIT_SIZE, 64 << 20));
        KernelLoader.probe(big);
        assertRefused(() -> BootFiles.check(big, Optional.empty(), GUEST), "[0x100000, 0x5000000)", "more memory");
        BootFiles.check(big, Optional.empty(), 128L << 20);
    }

    @Test
    void aMissingEmptyOrTooLargeInitramfsIsRefused() throws Exception {
        Path kernel = KernelFixtures.write(dir, "vmlinux", elf());
        assertRefused(() -> BootFiles.check(kernel, Optional.of(dir.resolve("gone")), GUEST), "initramfs", "not a regular file");
        assertRefused(() -> BootFiles.check(kernel, Optional.of(initrd(0)), GUEST), "initramfs", "is empty");
        Path huge = dir.resolve("huge");
        try (RandomAccessFile file = new RandomAccessFile(huge.toFile(), "rw")) {
            file.setLength(60L << 20);   // sparse: 60 MiB do not fit above a kernel ending past 16 MiB in 64 MiB
        }
        assertRefused(() -> BootFiles.check(kernel, Optional.of(huge), GUEST), "initramfs", "does not fit", "more memory");
        BootFiles.check(kernel, Optional.of(huge), 128L << 20);
    }
}
