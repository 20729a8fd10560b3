package dev.flint.agent;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The protocol's limits: the same numbers in the agent's C decoder, and the builder's messages naming them. */
class ExecLimitsTest {
    @Test
    void theAgentsDefinesAreTheseLimits() throws Exception {
        String source = Files.readString(Path.of(System.getProperty("flint.agent.source", "src/main/c/flint-agent.c")));
        Map<String, Integer> defines = new LinkedHashMap<>();
        Matcher define = Pattern.compile("(?m)^#define (M(?:AX|IN)_\\w+) (\\d+)").matcher(source);
        while (define.find()) {
            defines.put(define.group(1), Integer.parseInt(define.group(2)));
        }
        assertEquals(Frame.MAX_PAYLOAD, defines.get("MAX_FRAME"));
        assertEquals(ExecLimits.MAX_REQUEST, defines.get("MAX_FRAME"));
        assertEquals(ExecLimits.MAX_STRINGS, defines.get("MAX_STRINGS"));
        assertEquals(ExecLimits.MAX_STRING, defines.get("MAX_STRING"));
        assertEquals(ExecLimits.MAX_WORKDIR, defines.get("MAX_WORKDIR"));
        assertEquals(ExecLimits.MAX_GROUPS, defines.get("MAX_GROUPS"));
        assertEquals(ExecLimits.MAX_IMAGE_PATH, defines.get("MAX_IMAGE_PATH"));
        assertEquals(ExecLimits.MIN_RENEW_ENTROPY, defines.get("MIN_RENEW_ENTROPY"));
        assertEquals(ExecLimits.MAX_RENEW_ENTROPY, defines.get("MAX_RENEW_ENTROPY"));
        assertEquals(ExecLimits.MAX_HOSTNAME, defines.get("MAX_HOSTNAME"));
        assertEquals(AgentClient.PROTOCOL_VERSION, Integer.parseInt(source.replaceAll("(?s).*\n#define PROTOCOL_VERSION (\\d+)\n.*", "$1")));
    }

    private static String refused(Runnable build) {
        return assertThrows(IllegalArgumentException.class, build::run).getMessage();
    }

    @Test
    void fiveThousandVariablesAreRefusedByTheBuilderNamingTheLimit() {
        ExecRequest.Builder request = ExecRequest.builder(List.of("true"));
        for (int i = 0; i < 5000; i++) {
            request.env("V" + i, "1");
        }
        assertEquals("5000 environment variables; the limit is 4096", refused(request::build));
    }

    @Test
    void eachStringTheWorkdirAndTheWholeRequestAreBounded() {
        String big = "x".repeat(ExecLimits.MAX_STRING + 1);
        assertEquals("argv[1] is 131072 bytes; the limit is 131071 (the kernel's MAX_ARG_STRLEN less its NUL)",
                refused(() -> ExecRequest.builder(List.of("echo", big))));
        ExecRequest.builder(List.of("echo", big.substring(1))).build();   // exactly at the limit
        assertTrue(refused(() -> ExecRequest.builder(List.of("true")).env("K", big))
                .startsWith("environment variable K is 131074 bytes as KEY=VALUE; the limit is 131071"));
        assertEquals("argv has 4097 entries; the limit is 4096",
                refused(() -> ExecRequest.builder(java.util.Collections.nCopies(4097, "a"))));
        assertEquals("workdir is 4097 bytes; the limit is 4095 (PATH_MAX)",
                refused(() -> ExecRequest.builder(List.of("true")).workdir("/" + "d".repeat(4096))));
        String almost = "y".repeat(ExecLimits.MAX_STRING - 10);
        List<String> argv = java.util.Collections.nCopies(9, almost);
        assertTrue(refused(() -> ExecRequest.builder(argv).build())
                .contains("; a whole exec request is limited to 1048576"));
        assertEquals(4, ExecLimits.utf8Length("\u00e9\u00e9"), "UTF-8 bytes, not chars");
        assertEquals(4, ExecLimits.utf8Length("\uD83D\uDE00"));
    }
}
