package dev.flint.image.config;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.flint.image.ImageException;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzz target {@code image-config}: an image's config blob (Env, Entrypoint, Cmd, WorkingDir,
 * User, ExposedPorts, rootfs.diff_ids) as a registry or an archive hands it over. Oracle: the
 * config parses, or fails with an {@link ImageException} (InvalidImageConfigException) that
 * tells the user the image is broken; never anything else.
 * {@code ./flint fuzz image-config}; the unit tests replay {@code ImageConfigFuzzTestInputs/replay}.
 */
public class ImageConfigFuzzTest {
    public static void fuzzerTestOneInput(byte[] input) {
        try {
            ImageConfig config = ImageConfig.parse(input);
            config.withoutEntrypoint();
        } catch (ImageException expected) {
            // A corrupt config: the user is told to pull the image again.
        }
    }

    @FuzzTest
    @Timeout(10)
    void replay(byte[] input) {
        fuzzerTestOneInput(input);
    }
}
