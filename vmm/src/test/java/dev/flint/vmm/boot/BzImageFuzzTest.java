package dev.flint.vmm.boot;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Fuzz target {@code bzimage}: bzImage files (the fuzzer's bytes with the "HdrS" setup-header
 * magic in place) through {@link KernelLoader}'s probe and load; the oracle is
 * {@link KernelFuzzing}'s.
 * {@code ./flint fuzz bzimage}; the unit tests replay
 * {@code BzImageFuzzTestInputs/replay} ({@code awaitingFix}: crashers of a bug fixed elsewhere).
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

    /** Truncated kernels the probe passes: issue 12 item 6, fixed on the kernel-validation branch. */
    @FuzzTest
    @Timeout(10)
    @Disabled("the probe checks the header only (issue 12 item 6, helper 'input'); enable once that is merged")
    void awaitingFix(byte[] input) throws IOException {
        fuzzerTestOneInput(input);
    }
}
