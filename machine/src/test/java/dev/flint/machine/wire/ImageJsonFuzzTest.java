package dev.flint.machine.wire;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import dev.flint.image.ImageException;
import dev.flint.machine.FlintException;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Fuzz target {@code image-json}: the HTTP API's image bodies, a pull request as the server
 * decodes it (reference and policy) and the summaries and prune result as the client decodes
 * them. The first byte picks the decoder, the rest is the body. Oracle: decoded, or refused
 * with a {@link FlintException} or {@link ImageException} (a 4xx), never another exception.
 * {@code ./flint fuzz image-json}; the unit tests replay {@code ImageJsonFuzzTestInputs/replay}.
 */
public class ImageJsonFuzzTest {
    public static void fuzzerTestOneInput(byte[] input) {
        if (input.length == 0) {
            return;
        }
        String body = new String(Arrays.copyOfRange(input, 1, input.length), StandardCharsets.UTF_8);
        try {
            JsonNode json = MachineJson.parse(body, "body");
            switch (Byte.toUnsignedInt(input[0]) % 4) {
                case 0 -> {
                    ImageJson.reference(json);
                    ImageJson.policy(json);
                }
                case 1 -> ImageJson.summaries(json);
                case 2 -> ImageJson.summary(json);
                default -> ImageJson.prune(json);
            }
        } catch (FlintException | ImageException expected) {
            // The server answers these with a 4xx.
        }
    }

    @FuzzTest
    @Timeout(10)
    void replay(byte[] input) {
        fuzzerTestOneInput(input);
    }
}
