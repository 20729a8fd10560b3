package dev.flint.vmm;

import java.util.ArrayList;
import java.util.List;

/**
 * When each step of a VM's setup ended, in nanoseconds since the VM's creation began: where the
 * host's share of boot time goes, for researchers and for the benchmarks.
 */
public final class BootTimeline {
    /** One step and the time since creation at which it ended. */
    public record Step(String name, long endNanos) {
    }

    private final long startNanos;
    private final List<Step> steps = new ArrayList<>();

    BootTimeline(long startNanos) {
        this.startNanos = startNanos;
    }

    synchronized void mark(String step) {
        steps.add(new Step(step, System.nanoTime() - startNanos));
    }

    public synchronized List<Step> steps() {
        return List.copyOf(steps);
    }

    /** "name 1.2 ms, name 3.4 ms, ...", each step's own duration. */
    @Override
    public synchronized String toString() {
        StringBuilder out = new StringBuilder();
        long previous = 0;
        for (Step step : steps) {
            if (!out.isEmpty()) {
                out.append(", ");
            }
            out.append(String.format("%s %.1f ms", step.name(), (step.endNanos() - previous) / 1e6));
            previous = step.endNanos();
        }
        return out.toString();
    }
}
