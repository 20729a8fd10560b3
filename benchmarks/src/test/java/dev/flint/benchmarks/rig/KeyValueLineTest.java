package dev.flint.benchmarks.rig;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KeyValueLineTest {
    @Test
    void parsesWhatItFormats() {
        Map<String, Long> values = new LinkedHashMap<>();
        values.put("host_setup_ns", 123456789L);
        values.put("rss_kib", 40960L);
        String line = KeyValueLine.format("rig-bench-phases", values);
        assertEquals("rig-bench-phases host_setup_ns=123456789 rss_kib=40960", line);
        assertEquals(values, KeyValueLine.parse("rig-bench-phases", line + "\r"));
    }

    @Test
    void aLineWithoutThePrefixIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KeyValueLine.parse("rig-bench-phases", "flint-agent: ready"));
        assertTrue(e.getMessage().contains("expected a line starting with"), e.getMessage());
    }

    @Test
    void aNonIntegerValueIsRejectedNamingTheField() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KeyValueLine.parse("p", "p a=1 b=x"));
        assertTrue(e.getMessage().contains("'b=x'"), e.getMessage());
    }
}
