package dev.flint.benchmarks.rig;

import java.util.ArrayList;
import java.util.List;

/**
 * Flint's figure divided by the peer's, per round of the benchmark: each round measures both
 * back to back, so the pair shares whatever the shared host was doing then, and the spread of
 * the per-round ratios is the noise of the comparison, measured rather than guessed. Below 1
 * Flint is faster (or smaller), except for a ratio of throughputs ({@link #higherIsBetter}).
 *
 * @param perRound Flint's sample of round i divided by the peer's sample of round i
 */
public record Ratio(String name, String flintMetric, String peerMetric, String description, List<Double> perRound) {
    public Ratio {
        perRound = List.copyOf(perRound);
    }

    /** Pairs the two metrics' samples round by round; both must have one sample per round. */
    public static Ratio of(String name, String description, Metric flint, Metric peer) {
        if (flint.samples().size() != peer.samples().size()) {
            throw new IllegalArgumentException("cannot pair " + flint.name() + " (" + flint.samples().size()
                    + " samples) with " + peer.name() + " (" + peer.samples().size()
                    + " samples): a ratio needs one sample of each per round");
        }
        if (!flint.unit().equals(peer.unit())) {
            throw new IllegalArgumentException("cannot divide " + flint.name() + " in " + flint.unit() + " by "
                    + peer.name() + " in " + peer.unit());
        }
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < flint.samples().size(); i++) {
            ratios.add(flint.samples().get(i) / peer.samples().get(i));
        }
        return new Ratio(name, flint.name(), peer.name(), description, ratios);
    }

    /** A ratio of throughputs (MiB/s: disk, network), where above 1 Flint is faster; every other ratio is better below 1. */
    public boolean higherIsBetter() {
        return RigMetrics.unit(flintMetric).endsWith("/s");
    }

    public Summary summary() {
        return Summary.of(perRound);
    }

    /**
     * Half the spread of the per-round ratios. With five rounds a Student-t interval at 99.9%
     * (8.6 standard errors) would be wider than the whole range and flag nothing; the observed
     * half-range is what one more run is likely to move by.
     */
    public double noise() {
        return summary().halfRange();
    }
}
