package dev.flint.benchmarks.tools;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Prints the table of a JMH JSON result and draws its chart beside it ({@code X.json} gives
 * {@code X.png}). Usage: {@code Report RESULT.json [CHART.png]}.
 */
public final class Report {
    static final int CHART_WIDTH = 1000;

    private Report() {
    }

    /** Prints the table to stdout, writes the chart, and returns the chart's path. */
    public static Path show(Path json, Path png) throws IOException {
        List<BenchmarkResult> results = JmhResults.read(json);
        System.out.print(ResultTable.format(results));
        ScoreChart.write(results, "Flint benchmarks: " + json.getFileName() + " (bars: score, whiskers: 99.9% error)",
                CHART_WIDTH, ScoreChart.heightFor(results.size()), png);
        return png;
    }

    /** {@code results/x.json} -> {@code results/x.png}. */
    static Path chartBeside(Path json) {
        String name = json.getFileName().toString();
        String stem = name.endsWith(".json") ? name.substring(0, name.length() - 5) : name;
        return json.resolveSibling(stem + ".png");
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: Report RESULT.json [CHART.png]");
            System.exit(2);
        }
        Path json = Path.of(args[0]);
        Path png = show(json, args.length == 2 ? Path.of(args[1]) : chartBeside(json));
        System.out.println("chart: " + png);
    }
}
