package dev.flint.benchmarks.tools;

import dev.flint.benchmarks.rig.Metric;
import dev.flint.benchmarks.rig.Ratio;
import dev.flint.benchmarks.rig.RigResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ResultFilesTest {
    private static Path rigResult(Path dir, String name, Double... flintSamples) throws Exception {
        Metric flint = new Metric("flint.x", "ms", "f", List.of(flintSamples));
        Metric peer = new Metric("qemu.x", "ms", "p", List.of(100.0, 100.0, 100.0));
        RigResult result = new RigResult(Map.of(), List.of(flint, peer), List.of(Ratio.of("boot", "d", flint, peer)));
        Path file = dir.resolve(name);
        Files.writeString(file, result.toJson());
        return file;
    }

    @Test
    void aRigRatioBecomesATimeLikeResultWithItsMeasuredNoise(@TempDir Path dir) throws Exception {
        List<BenchmarkResult> results = ResultFiles.read(rigResult(dir, "a.json", 40.0, 50.0, 60.0));
        assertEquals(1, results.size());
        BenchmarkResult r = results.get(0);
        assertEquals("rig.ratio.boot", r.benchmark());
        assertEquals(0.5, r.score(), 1e-9);
        assertEquals(0.1, r.error(), 1e-9);
        assertEquals("avgt", r.mode());
    }

    @Test
    void theGuardFlagsARatioThatGrewBeyondBothRunsSpread(@TempDir Path dir) throws Exception {
        List<BenchmarkResult> baseline = ResultFiles.read(rigResult(dir, "base.json", 40.0, 50.0, 60.0));
        List<BenchmarkResult> worse = ResultFiles.read(rigResult(dir, "worse.json", 70.0, 75.0, 80.0));
        List<BenchmarkResult> same = ResultFiles.read(rigResult(dir, "same.json", 45.0, 55.0, 65.0));
        // noise hypot(0.1, 0.05) = 0.112: 0.5 -> 0.75 regressed, 0.5 -> 0.55 within it
        assertEquals(Comparison.Verdict.REGRESSED, RegressionGuard.compare(baseline, worse).get(0).verdict());
        assertEquals(Comparison.Verdict.UNCHANGED, RegressionGuard.compare(baseline, same).get(0).verdict());
    }

    @Test
    void aThroughputRatioIsBetterHigher(@TempDir Path dir) throws Exception {
        Metric flint = new Metric("flint.blk.read", "MiB/s", "f", List.of(40.0, 50.0, 60.0));
        Metric peer = new Metric("qemu.blk.read", "MiB/s", "p", List.of(100.0, 100.0, 100.0));
        Metric faster = new Metric("flint.blk.read", "MiB/s", "f", List.of(90.0, 95.0, 100.0));
        Path base = dir.resolve("base.json");
        Path now = dir.resolve("now.json");
        Files.writeString(base, new RigResult(Map.of(), List.of(flint, peer),
                List.of(Ratio.of("blk.read", "d", flint, peer))).toJson());
        Files.writeString(now, new RigResult(Map.of(), List.of(faster, peer),
                List.of(Ratio.of("blk.read", "d", faster, peer))).toJson());
        assertEquals("thrpt", ResultFiles.read(base).get(0).mode());
        // 0.5 -> 0.95 of QEMU's throughput: better, not a regression
        assertEquals(Comparison.Verdict.IMPROVED,
                RegressionGuard.compare(ResultFiles.read(base), ResultFiles.read(now)).get(0).verdict());
    }

    @Test
    void aJmhFileIsStillReadAsJmh(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("jmh.json");
        Files.writeString(file, """
                [{"benchmark": "dev.flint.benchmarks.a.B.c", "mode": "avgt",
                  "primaryMetric": {"score": 1.5, "scoreError": 0.1, "scoreUnit": "ns/op", "rawData": [[1.4, 1.6]]}}]
                """);
        assertEquals("dev.flint.benchmarks.a.B.c", ResultFiles.read(file).get(0).benchmark());
    }
}
