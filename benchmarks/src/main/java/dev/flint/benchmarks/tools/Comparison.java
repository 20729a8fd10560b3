package dev.flint.benchmarks.tools;

/**
 * One benchmark in a baseline and a current run, and what the guard concluded.
 *
 * @param baseline null when the benchmark is new
 * @param current  null when the benchmark no longer ran
 */
public record Comparison(String key, BenchmarkResult baseline, BenchmarkResult current, Verdict verdict) {
    /** The guard's conclusion; only {@link #REGRESSED} fails the build. */
    public enum Verdict {
        /** Worse than the baseline by more than the measured noise. */
        REGRESSED,
        /** Better than the baseline by more than the measured noise. */
        IMPROVED,
        /** Within the noise. */
        UNCHANGED,
        /** One side has no error estimate (fewer than three iterations): cannot be judged. */
        NO_NOISE_ESTIMATE,
        /** The unit changed: the baseline needs refreshing. */
        NOT_COMPARABLE,
        NEW,
        MISSING
    }

    /** How much worse the current score is, relative to the baseline: +0.10 is 10% worse, -0.10 10% better. */
    public double relativeWorsening() {
        return worsening() / baseline.score();
    }

    /** How much worse the current score is, in its unit (negative when better). */
    public double worsening() {
        double delta = current.score() - baseline.score();
        return current.higherIsBetter() ? -delta : delta;
    }

    /**
     * The noise of the difference: both scores' 99.9% error half-widths combined as independent
     * errors (root of the sum of squares).
     */
    public double noise() {
        return Math.hypot(baseline.error(), current.error());
    }
}
