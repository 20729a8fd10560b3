package dev.flint.machine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Synthetic kernels for tests in any package: well-formed enough for the loader, nothing that runs. */
public final class TestKernels {
    private static final int SEGMENT = 4096;
    private static final long LOAD_ADDRESS = 0x100_0000;

    private TestKernels() {
    }

    /**
     * An x86-64 ELF vmlinux with one PT_LOAD of 4 KiB at 16 MiB; when not {@code whole}, the
     * file stops 100 bytes into that segment, as a copy cut short would.
     */
    public static Path elf(Path dir, String name, boolean whole) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(64 + 56 + SEGMENT).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 0x464c457f).put(4, (byte) 2).put(5, (byte) 1).put(6, (byte) 1);
        b.putShort(16, (short) 2).putShort(18, (short) 62);
        b.putLong(24, LOAD_ADDRESS).putLong(32, 64).putShort(54, (short) 56).putShort(56, (short) 1);
        b.putInt(64, 1).putLong(64 + 8, 120).putLong(64 + 24, LOAD_ADDRESS).putLong(64 + 32, SEGMENT)
                .putLong(64 + 40, SEGMENT);
        return Files.write(dir.resolve(name), whole ? b.array() : Arrays.copyOf(b.array(), 120 + 100));
    }
}
