package dev.flint.machine.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Durations of one kind of call, for percentiles; safe to add to from several threads. */
final class Latencies {
    private final List<Long> nanos = new ArrayList<>();

    synchronized void add(long elapsedNanos) {
        nanos.add(elapsedNanos);
    }

    synchronized int count() {
        return nanos.size();
    }

    /** The nearest-rank percentile {@code p} (0-100]; zero when nothing was recorded. */
    synchronized Duration percentile(double p) {
        if (nanos.isEmpty()) {
            return Duration.ZERO;
        }
        List<Long> sorted = new ArrayList<>(nanos);
        sorted.sort(null);
        int rank = (int) Math.ceil(p / 100 * sorted.size());
        return Duration.ofNanos(sorted.get(Math.clamp(rank - 1, 0, sorted.size() - 1)));
    }

    /** "p50 1.23 s, p99 2.50 s" (milliseconds below one second). */
    String summary() {
        return "p50 " + format(percentile(50)) + ", p99 " + format(percentile(99));
    }

    static String format(Duration d) {
        long ms = d.toMillis();
        return ms < 1000 ? ms + " ms" : String.format("%.2f s", d.toNanos() / 1e9);
    }
}
