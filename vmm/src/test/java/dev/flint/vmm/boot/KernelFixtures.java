package dev.flint.vmm.boot;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/** Small synthetic kernels: enough structure for the loaders, nothing that runs. */
final class KernelFixtures {
    static final long ELF_LOAD_ADDRESS = 0x100_0000;
    static final byte[] PAYLOAD = "flint-kernel-payload".getBytes();
    /** The bzImage's protected-mode kernel in 16-byte paragraphs: {@link #PAYLOAD} padded. */
    static final int BZ_SYSSIZE = 2;

    private KernelFixtures() {
    }

    /** An ELF64 x86-64 executable with one PT_LOAD of {@link #PAYLOAD} plus 64 bytes of bss. */
    static ByteBuffer elf(long entry) {
        ByteBuffer b = ByteBuffer.allocate(64 + 56 + PAYLOAD.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 0x464c457f);
        b.put(4, (byte) 2).put(5, (byte) 1).put(6, (byte) 1);
        b.putShort(16, (short) 2);
        b.putShort(18, (short) 62);
        b.putLong(24, entry);
        b.putLong(32, 64);
        b.putShort(54, (short) 56);
        b.putShort(56, (short) 1);
        b.putInt(64, 1);
        b.putLong(64 + 8, 120);
        b.putLong(64 + 16, 0xffff_ffff_8100_0000L);
        b.putLong(64 + 24, ELF_LOAD_ADDRESS);
        b.putLong(64 + 32, PAYLOAD.length);
        b.putLong(64 + 40, PAYLOAD.length + 64);
        b.put(120, PAYLOAD);
        return b;
    }

    /**
     * A bzImage with 1 setup sector past the boot sector, protocol {@code version}, then a
     * protected-mode kernel of {@link #BZ_SYSSIZE} paragraphs whose compressed payload is {@link #PAYLOAD}.
     */
    static ByteBuffer bzImage(int version, int xloadflags) {
        int setup = 2 * 512;
        ByteBuffer b = ByteBuffer.allocate(setup + BZ_SYSSIZE * 16).order(ByteOrder.LITTLE_ENDIAN);
        b.put(BzImage.SETUP_SECTS, (byte) 1);
        b.putInt(BzImage.SYSSIZE, BZ_SYSSIZE);
        b.putInt(BzImage.PAYLOAD_OFFSET, 0);
        b.putInt(BzImage.PAYLOAD_LENGTH, PAYLOAD.length);
        b.putShort(BzImage.BOOT_FLAG, (short) 0xaa55);
        b.put(BzImage.JUMP_END, (byte) 0x66);
        b.putInt(BzImage.HEADER, BzImage.HDRS_MAGIC);
        b.putShort(BzImage.VERSION, (short) version);
        b.put(BzImage.LOADFLAGS, (byte) BzImage.LOADED_HIGH);
        b.putInt(BzImage.INITRD_ADDR_MAX, 0x7fff_ffff);
        b.putShort(BzImage.XLOADFLAGS, (short) xloadflags);
        b.putInt(BzImage.CMDLINE_SIZE, 4095);
        b.putLong(BzImage.PREF_ADDRESS, 0x100_0000);
        b.putInt(BzImage.INIT_SIZE, 0x20_0000);
        b.put(setup, PAYLOAD);
        return b;
    }

    static Path write(Path dir, String name, ByteBuffer contents) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, contents.array());
        return file;
    }

    /** Writes the first {@code length} bytes of {@code contents}: a kernel cut short. */
    static Path truncated(Path dir, String name, ByteBuffer contents, int length) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, java.util.Arrays.copyOf(contents.array(), length));
        return file;
    }
}
