package dev.flint.agent;

import java.io.IOException;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Tells a silent agent from a busy one. While a call waits on the agent and nothing came from
 * it for a quarter of {@code limit}, it is pinged; when nothing at all, not even a ping's
 * answer, came for {@code limit}, the guest is taken for hung (or starved of CPU) and every
 * waiting call fails, instead of waiting for an exec that never ends. A paused guest, or a
 * connection nobody waits on, is not silent: its clock starts again when that ends.
 */
final class Liveness {
    private final Duration limit;
    private final BooleanSupplier guestRuns;
    private final BooleanSupplier callsWait;
    private final Runnable ping;
    private volatile long lastHeard = System.nanoTime();
    private volatile boolean stopped;

    /**
     * @param guestRuns false while the guest's VM is paused (its silence then means nothing)
     * @param callsWait whether any call waits on the agent now
     * @param ping      sends a PING whose answer nobody awaits (any frame counts as life)
     */
    Liveness(Duration limit, BooleanSupplier guestRuns, BooleanSupplier callsWait, Runnable ping) {
        if (limit.isNegative() || limit.isZero()) {
            throw new IllegalArgumentException("the liveness limit must be positive, got " + limit);
        }
        this.limit = limit;
        this.guestRuns = guestRuns;
        this.callsWait = callsWait;
        this.ping = ping;
    }

    /** A frame came from the agent. */
    void heard() {
        lastHeard = System.nanoTime();
    }

    void stop() {
        stopped = true;
    }

    /** Watches until {@link #stop} or until the agent is found silent, which ends in {@code onSilence}. */
    void watch(Consumer<IOException> onSilence) {
        long tick = Math.max(1, limit.toMillis() / 4);
        try {
            while (!stopped) {
                Thread.sleep(tick);
                if (!guestRuns.getAsBoolean() || !callsWait.getAsBoolean()) {
                    heard();
                    continue;
                }
                long silent = System.nanoTime() - lastHeard;
                if (silent >= limit.toNanos()) {
                    onSilence.accept(new IOException("the guest is hung or gets no CPU: its agent sent nothing, not even"
                            + " an answer to a ping, for " + seconds(limit) + " while a call waited on it;"
                            + " its console log may say why (stop the machine, or give it more CPU)"));
                    return;
                }
                if (silent >= tick * 1_000_000L) {
                    ping.run();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String seconds(Duration d) {
        return d.toMillis() >= 1000 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }
}
