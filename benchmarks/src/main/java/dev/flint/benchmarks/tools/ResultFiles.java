package dev.flint.benchmarks.tools;

import dev.flint.benchmarks.rig.Ratio;
import dev.flint.benchmarks.rig.RigResult;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads either kind of result file the guard judges: a JMH result (an array), or a rig result
 * ({@code rig-bench.sh}, an object), whose Flint/peer ratios become one result each: score the
 * median ratio, error the measured noise (half the spread of the per-round ratios), lower better
 * but for throughputs.
 */
public final class ResultFiles {
    static final String RATIO_PREFIX = "rig.ratio.";

    private ResultFiles() {
    }

    public static List<BenchmarkResult> read(Path file) throws IOException {
        String text = Files.readString(file);
        if (!RigResult.isRigResult(text)) {
            return JmhResults.read(file);
        }
        return RigResult.read(file).ratios().stream().map(ResultFiles::asResult).toList();
    }

    /**
     * Mode "avgt": the guard treats it as a time, where lower is better, as it is for most ratios;
     * "thrpt" for a ratio of throughputs (disk, network), where higher is.
     */
    static BenchmarkResult asResult(Ratio ratio) {
        return new BenchmarkResult(RATIO_PREFIX + ratio.name(), ratio.higherIsBetter() ? "thrpt" : "avgt",
                ratio.summary().median(), ratio.noise(), "flint/peer", ratio.perRound());
    }
}
