package dev.flint.benchmarks.tools;

import dev.flint.benchmarks.rig.RigResult;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonTest {
    /** The committed baselines, written by the hand-rolled writer before Jackson; the module's directory is the working one. */
    private static final Path BASELINE = Path.of("baseline");

    private static List<Path> baselines(String prefix) throws IOException {
        try (Stream<Path> files = Files.list(BASELINE)) {
            List<Path> found = new ArrayList<>(files.filter(f -> f.getFileName().toString().startsWith(prefix)
                    && f.getFileName().toString().endsWith(".json")).sorted().toList());
            assertFalse(found.isEmpty(), "no " + prefix + "*.json under " + BASELINE.toAbsolutePath());
            return found;
        }
    }

    @Test
    void theCommittedRigBaselinesReadAndSurviveAWriteAndReadBack() throws IOException {
        for (Path file : baselines("rig-")) {
            RigResult read = RigResult.read(file);
            assertFalse(read.metrics().isEmpty(), file.toString());
            RigResult again = RigResult.parse(read.toJson());
            assertEquals(read.conditions(), again.conditions(), file.toString());
            assertEquals(read.metrics(), again.metrics(), file.toString());
            assertEquals(read.ratios().size(), again.ratios().size(), file.toString());
        }
    }

    @Test
    void theCommittedJmhBaselinesRead() throws IOException {
        for (Path file : baselines("20")) {
            List<BenchmarkResult> results = JmhResults.read(file);
            assertFalse(results.isEmpty(), file.toString());
            assertFalse(results.get(0).samples().isEmpty(), file.toString());
        }
    }

    @Test
    void numbersAreWholeOrFourDecimalsAndNonFiniteOnesAreStrings() {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("whole", 900.0);
        values.put("fraction", 0.123456);
        values.put("count", 3);
        values.put("nan", Double.NaN);
        values.put("list", List.of(1.5, 2.0));
        String json = Json.write(values);
        assertEquals("""
                {
                  "whole": 900,
                  "fraction": 0.1235,
                  "count": 3,
                  "nan": "NaN",
                  "list": [ 1.5, 2 ]
                }
                """, json);
        Map<?, ?> back = (Map<?, ?>) Json.parse(json);
        assertEquals(900.0, back.get("whole"), "every number reads as a Double");
        assertEquals(List.of(1.5, 2.0), back.get("list"));
    }

    @Test
    void writeLineIsOneLine() {
        String line = Json.writeLine(Map.of("execute", "x", "arguments", Map.of("s", "a\nb")));
        assertTrue(line.endsWith("}\n") && line.indexOf('\n') == line.length() - 1, line);
    }

    @Test
    void malformedDocumentsAreRejectedWithWhere() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\": tru}"));
        assertTrue(e.getMessage().startsWith("malformed JSON at offset "), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Json.parse("[] trailing"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse(""));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("[1, 2"));
    }
}
