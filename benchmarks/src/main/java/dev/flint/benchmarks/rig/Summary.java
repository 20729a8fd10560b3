package dev.flint.benchmarks.rig;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The order statistics of a metric's samples. Medians and percentiles rather than means: a rig
 * sample now and then takes a hit from the neighbours on the shared host, and one such sample
 * should not move the figure.
 *
 * @param p90 the nearest-rank 90th percentile (the smallest sample with at least 90% of the samples at or below it)
 */
public record Summary(int count, double median, double p90, double min, double max) {

    /** Summarises {@code samples}; fails on an empty list, which has no median to report. */
    public static Summary of(List<Double> samples) {
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("no samples to summarise: the measurement did not run");
        }
        List<Double> sorted = new ArrayList<>(samples);
        Collections.sort(sorted);
        int n = sorted.size();
        double median = n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
        double p90 = sorted.get((int) Math.ceil(0.9 * n) - 1);
        return new Summary(n, median, p90, sorted.get(0), sorted.get(n - 1));
    }

    /** Half the range of the samples: the spread the guard treats as noise. */
    public double halfRange() {
        return (max - min) / 2;
    }
}
