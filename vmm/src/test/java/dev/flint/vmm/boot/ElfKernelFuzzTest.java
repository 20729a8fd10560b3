package dev.flint.vmm.boot;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;

/**
 * Fuzz target {@code elf-kernel}: ELF vmlinux files (the fuzzer's bytes behind the ELF magic)
 * through {@link KernelLoader}'s probe and load; the oracle is {@link KernelFuzzing}'s.
 * {@code ./flint fuzz elf-kernel}; the unit tests replay
 * {@code ElfKernelFuzzTestInputs/replay}.
 */
public class ElfKernelFuzzTest {
    private static final byte[] MAGIC = {0x7f, 'E', 'L', 'F'};

    public static void fuzzerTestOneInput(byte[] input) throws IOException {
        byte[] image = input.clone();
        System.arraycopy(MAGIC, 0, image, 0, Math.min(MAGIC.length, image.length));
        KernelFuzzing.check(image);
    }

    @FuzzTest
    @Timeout(10)
    void replay(byte[] input) throws IOException {
        fuzzerTestOneInput(input);
    }
}
