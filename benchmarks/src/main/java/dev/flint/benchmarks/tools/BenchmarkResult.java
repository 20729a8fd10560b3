package dev.flint.benchmarks.tools;

import java.util.List;

/**
 * One benchmark's primary result as JMH reports it: the score, the half-width of its 99.9%
 * confidence interval ({@code error}, NaN when JMH had fewer than three samples), and the raw
 * per-iteration scores behind them.
 *
 * @param benchmark the benchmark method's full name, with parameters appended as {@code [k=v,...]}
 */
public record BenchmarkResult(String benchmark, String mode, double score, double error, String unit,
                              List<Double> samples) {
    private static final String PACKAGE = "dev.flint.benchmarks.";

    public BenchmarkResult {
        samples = List.copyOf(samples);
    }

    /** What identifies the same measurement across runs. */
    public String key() {
        return benchmark + " (" + mode + ")";
    }

    /** The name without this module's package prefix, for tables and charts. */
    public String shortName() {
        return benchmark.startsWith(PACKAGE) ? benchmark.substring(PACKAGE.length()) : benchmark;
    }

    /** Throughput grows when things get faster; every other JMH mode measures time. */
    public boolean higherIsBetter() {
        return mode.equals("thrpt");
    }

    /** Whether JMH measured the noise of this score. */
    public boolean hasError() {
        return Double.isFinite(error);
    }
}
