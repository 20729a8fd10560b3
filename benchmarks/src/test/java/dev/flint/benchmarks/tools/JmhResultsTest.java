package dev.flint.benchmarks.tools;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JmhResultsTest {
    /** Trimmed from a real JMH 1.37 result: one run with an error, one with too few iterations for one. */
    static final String SAMPLE = """
            [
              {
                "jmhVersion" : "1.37",
                "benchmark" : "dev.flint.benchmarks.queue.VirtqueueBenchmark.popAndAddUsedChainOf1",
                "mode" : "avgt",
                "threads" : 1,
                "forks" : 1,
                "jvmArgs" : [ "--enable-native-access=ALL-UNNAMED" ],
                "params" : { "size" : "256", "eventIdx" : "true" },
                "primaryMetric" : {
                  "score" : 58.5,
                  "scoreError" : 1.25,
                  "scoreConfidence" : [ 57.25, 59.75 ],
                  "scorePercentiles" : { "0.0" : 57.9, "100.0" : 59.1 },
                  "scoreUnit" : "ns/op",
                  "rawData" : [ [ 57.9, 58.5 ], [ 59.1 ] ]
                },
                "secondaryMetrics" : { }
              },
              {
                "benchmark" : "dev.flint.benchmarks.kvm.VmStartBenchmark.createVmToFirstExit",
                "mode" : "thrpt",
                "primaryMetric" : {
                  "score" : 6.7e2,
                  "scoreError" : "NaN",
                  "scoreConfidence" : [ "NaN", "NaN" ],
                  "scoreUnit" : "ops/s",
                  "rawData" : [ [ 660.0, 680.0 ] ]
                },
                "secondaryMetrics" : { "note" : "escaped \\"quote\\" and \\u00b5s" }
              }
            ]
            """;

    @Test
    void readsThePrimaryMetricOfEachRun() {
        List<BenchmarkResult> results = JmhResults.parse(SAMPLE);

        assertEquals(2, results.size());
        BenchmarkResult queue = results.get(0);
        assertEquals("dev.flint.benchmarks.queue.VirtqueueBenchmark.popAndAddUsedChainOf1[size=256,eventIdx=true]",
                queue.benchmark());
        assertEquals("queue.VirtqueueBenchmark.popAndAddUsedChainOf1[size=256,eventIdx=true]", queue.shortName());
        assertEquals("avgt", queue.mode());
        assertEquals(58.5, queue.score());
        assertEquals(1.25, queue.error());
        assertEquals("ns/op", queue.unit());
        assertEquals(List.of(57.9, 58.5, 59.1), queue.samples(), "iterations of every fork, in order");
        assertTrue(queue.hasError());
        assertFalse(queue.higherIsBetter());
    }

    @Test
    void nanErrorIsReadAsNoErrorEstimate() {
        BenchmarkResult vm = JmhResults.parse(SAMPLE).get(1);

        assertEquals(670.0, vm.score());
        assertTrue(Double.isNaN(vm.error()));
        assertFalse(vm.hasError());
        assertTrue(vm.higherIsBetter(), "throughput: higher is better");
    }

    @Test
    void readsAFileAndNamesItWhenItIsNotAJmhResult(@TempDir Path dir) throws IOException {
        Path good = Files.writeString(dir.resolve("good.json"), SAMPLE);
        Path bad = Files.writeString(dir.resolve("bad.json"), "{\"benchmark\": ");

        assertEquals(2, JmhResults.read(good).size());
        IOException e = assertThrows(IOException.class, () -> JmhResults.read(bad));
        assertTrue(e.getMessage().contains("bad.json"), e.getMessage());
        assertTrue(e.getMessage().contains("malformed JSON"), e.getMessage());
    }

    @Test
    void rejectsJsonThatIsNotAnArrayOfResults() {
        assertThrows(IllegalArgumentException.class, () -> JmhResults.parse("{\"a\": 1}"));
        assertThrows(IllegalArgumentException.class, () -> JmhResults.parse("[{\"benchmark\": \"x\"}]"));
        assertThrows(IllegalArgumentException.class, () -> JmhResults.parse("[] trailing"));
    }
}
