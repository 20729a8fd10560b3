package dev.flint.machine.wire;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import dev.flint.image.ImageException;
import dev.flint.machine.FlintException;
import dev.flint.machine.MachineConfig;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Fuzz target {@code machine-json}: the HTTP API's machine bodies as the server decodes them
 * (a machine config, an exec and a run request) and as the client decodes the server's
 * answers (info, page, metrics). The first byte picks the decoder, the rest is the body.
 * Oracle: a body is decoded or refused with a {@link FlintException} (the server's 4xx), never
 * another exception (its 500); a config that decodes encodes to JSON that decodes to the same.
 * {@code ./flint fuzz machine-json}; the unit tests replay {@code MachineJsonFuzzTestInputs/replay}.
 */
public class MachineJsonFuzzTest {
    public static void fuzzerTestOneInput(byte[] input) {
        if (input.length == 0) {
            return;
        }
        String body = new String(Arrays.copyOfRange(input, 1, input.length), StandardCharsets.UTF_8);
        try {
            JsonNode json = MachineJson.parse(body, "body");
            switch (Byte.toUnsignedInt(input[0]) % 6) {
                case 0 -> roundTrip(MachineJson.config(json));
                case 1 -> MachineJson.exec(json);
                case 2 -> MachineJson.run(json);
                case 3 -> MachineJson.info(json);
                case 4 -> MachineJson.page(json);
                default -> MachineJson.metrics(json);
            }
        } catch (FlintException | ImageException expected) {
            // The server answers these with a 4xx naming the field.
        }
    }

    /** Compared as JSON trees: the order of an object's fields (env, metadata) carries no meaning. */
    private static void roundTrip(MachineConfig config) {
        JsonNode once = MachineJson.config(config);
        JsonNode twice = MachineJson.config(MachineJson.config(MachineJson.parse(MachineJson.write(once), "re-encoded config")));
        if (!once.equals(twice)) {
            throw new AssertionError("a config does not survive its JSON: " + once + " became " + twice);
        }
    }

    @FuzzTest
    @Timeout(10)
    void replay(byte[] input) {
        fuzzerTestOneInput(input);
    }
}
