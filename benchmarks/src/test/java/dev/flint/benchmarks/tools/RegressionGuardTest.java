package dev.flint.benchmarks.tools;

import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.flint.benchmarks.tools.Comparison.Verdict.IMPROVED;
import static dev.flint.benchmarks.tools.Comparison.Verdict.MISSING;
import static dev.flint.benchmarks.tools.Comparison.Verdict.NEW;
import static dev.flint.benchmarks.tools.Comparison.Verdict.NOT_COMPARABLE;
import static dev.flint.benchmarks.tools.Comparison.Verdict.NO_NOISE_ESTIMATE;
import static dev.flint.benchmarks.tools.Comparison.Verdict.REGRESSED;
import static dev.flint.benchmarks.tools.Comparison.Verdict.UNCHANGED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RegressionGuardTest {
    private static BenchmarkResult time(String name, double score, double error) {
        return new BenchmarkResult("dev.flint.benchmarks." + name, "avgt", score, error, "ns/op", List.of());
    }

    private static BenchmarkResult throughput(String name, double score, double error) {
        return new BenchmarkResult("dev.flint.benchmarks." + name, "thrpt", score, error, "ops/us", List.of());
    }

    private static Comparison.Verdict verdict(BenchmarkResult baseline, BenchmarkResult current) {
        List<Comparison> comparisons = RegressionGuard.compare(List.of(baseline), List.of(current));
        assertEquals(1, comparisons.size());
        return comparisons.get(0).verdict();
    }

    @Test
    void slowerBeyondTheCombinedErrorRegresses() {
        // Noise is hypot(3, 4) = 5: 100 -> 106 is beyond it.
        assertEquals(REGRESSED, verdict(time("a.B.c", 100, 3), time("a.B.c", 106, 4)));
    }

    @Test
    void slowerWithinTheCombinedErrorIsUnchanged() {
        // 100 -> 104.9 is within the noise of 5, though beyond either error alone.
        assertEquals(UNCHANGED, verdict(time("a.B.c", 100, 3), time("a.B.c", 104.9, 4)));
    }

    @Test
    void fasterBeyondTheNoiseImproves() {
        assertEquals(IMPROVED, verdict(time("a.B.c", 100, 3), time("a.B.c", 94, 4)));
    }

    @Test
    void forThroughputLowerIsWorse() {
        assertEquals(REGRESSED, verdict(throughput("a.B.c", 100, 3), throughput("a.B.c", 94, 4)));
        assertEquals(IMPROVED, verdict(throughput("a.B.c", 100, 3), throughput("a.B.c", 106, 4)));
    }

    @Test
    void aScoreWithoutAnErrorEstimateIsNotJudged() {
        assertEquals(NO_NOISE_ESTIMATE, verdict(time("a.B.c", 100, Double.NaN), time("a.B.c", 500, 4)));
        assertEquals(NO_NOISE_ESTIMATE, verdict(time("a.B.c", 100, 3), time("a.B.c", 500, Double.NaN)));
    }

    @Test
    void aChangedUnitIsNotCompared() {
        BenchmarkResult micros = new BenchmarkResult("dev.flint.benchmarks.a.B.c", "avgt", 1, 0.1, "us/op", List.of());
        assertEquals(NOT_COMPARABLE, verdict(time("a.B.c", 100, 3), micros));
    }

    @Test
    void benchmarksAreMatchedByNameAndModeAndUnmatchedOnesReported() {
        List<Comparison> comparisons = RegressionGuard.compare(
                List.of(time("a.B.kept", 10, 1), time("a.B.dropped", 10, 1), throughput("a.B.kept", 10, 1)),
                List.of(time("a.B.added", 10, 1), time("a.B.kept", 10, 1)));

        assertEquals(List.of(NEW, UNCHANGED, MISSING, MISSING), comparisons.stream().map(Comparison::verdict).toList());
        assertEquals("dev.flint.benchmarks.a.B.dropped (avgt)", comparisons.get(2).key());
        assertEquals("dev.flint.benchmarks.a.B.kept (thrpt)", comparisons.get(3).key());
    }

    @Test
    void reportListsRegressionsFirstWithChangeAndNoise() {
        List<Comparison> comparisons = RegressionGuard.compare(
                List.of(time("q.Fast.ok", 50, 1), time("q.Slow.bad", 100, 3)),
                List.of(time("q.Fast.ok", 50.5, 1), time("q.Slow.bad", 120, 4)));

        String[] lines = RegressionGuard.report(comparisons).split("\\R");

        assertTrue(lines[0].startsWith("Benchmark"), lines[0]);
        assertTrue(lines[1].startsWith("q.Slow.bad"), lines[1]);
        assertTrue(lines[1].contains("20.0% worse"), lines[1]);
        assertTrue(lines[1].contains("5.000"), "noise hypot(3, 4): " + lines[1]);
        assertTrue(lines[1].endsWith("REGRESSED"), lines[1]);
        assertTrue(lines[2].contains("1.0% worse") && lines[2].endsWith("UNCHANGED"), lines[2]);
    }
}
