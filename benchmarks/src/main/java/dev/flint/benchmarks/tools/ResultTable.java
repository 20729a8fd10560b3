package dev.flint.benchmarks.tools;

import java.util.List;
import java.util.Locale;

/** The short table printed after a run: benchmark, mode, score, error, unit. */
public final class ResultTable {
    private ResultTable() {
    }

    public static String format(List<BenchmarkResult> results) {
        TextTable table = new TextTable("<Benchmark", "<Mode", "Score", "Error (99.9%)", "<Unit");
        for (BenchmarkResult r : results) {
            table.row(r.shortName(), r.mode(), number(r.score()), r.hasError() ? "± " + number(r.error()) : "n/a",
                    r.unit());
        }
        return table.toString();
    }

    /** Three decimals below 1000, none above: enough digits to compare, no more. */
    public static String number(double value) {
        if (!Double.isFinite(value)) {
            return String.valueOf(value);
        }
        return String.format(Locale.ROOT, Math.abs(value) >= 1000 ? "%,.0f" : "%.3f", value);
    }
}
