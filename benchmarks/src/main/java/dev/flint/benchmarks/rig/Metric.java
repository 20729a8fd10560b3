package dev.flint.benchmarks.rig;

import java.util.List;

/**
 * One measured quantity of the rig benchmark, e.g. {@code flint.cold_process_to_ready}, with all
 * its samples in {@code unit}.
 */
public record Metric(String name, String unit, String description, List<Double> samples) {
    public Metric {
        samples = List.copyOf(samples);
    }

    public Summary summary() {
        return Summary.of(samples);
    }
}
