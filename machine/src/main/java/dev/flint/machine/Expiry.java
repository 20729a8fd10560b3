package dev.flint.machine;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/** Runs machines' time-to-live stops: one daemon thread for all machines of this JVM. */
final class Expiry {
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "flint-expiry");
        thread.setDaemon(true);
        return thread;
    });

    private Expiry() {
    }

    /** Runs {@code stop} once {@code ttl} has passed, on a thread of its own so the timer never waits for a guest. */
    static ScheduledFuture<?> schedule(Duration ttl, Runnable stop) {
        return TIMER.schedule(() -> Thread.ofVirtual().name("flint-expire").start(stop), ttl.toNanos(), TimeUnit.NANOSECONDS);
    }
}
