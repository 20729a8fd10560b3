package dev.flint.vmm.boot;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Fuzz target {@code bzimage}: bzImage files (the fuzzer's bytes with the "HdrS" setup-header
 * magic in place) through {@link KernelLoader}'s probe and load; the oracle is
 * {@link KernelFuzzing}'s.
 * {@code ./flint fuzz bzimage}; the unit tests replay
 * {@code BzImageFuzzTestInputs/replay}.
 */
public class BzImageFuzzTest {
    public static void fuzzerTestOneInput(byte[] input) throws IOException {
        byte[] image = input.clone();
        if (image.length >= BzImage.HEADER + 4) {
            ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN).putInt(BzImage.HEADER, BzImage.HDRS_MAGIC);
        }
        KernelFuzzing.check(image);
    }

    @FuzzTest
    @Timeout(10)
    void replay(byte[] input) throws IOException {
        fuzzerTestOneInput(input);
    }
}
