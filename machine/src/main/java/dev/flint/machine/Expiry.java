package dev.flint.machine;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Machines' times to live: one daemon thread for all machines of this JVM runs out each, and
 * {@link #expire} does what the machine's {@link MachineConfig#onTimeout()} says.
 */
final class Expiry {
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "flint-expiry");
        thread.setDaemon(true);
        return thread;
    });

    /** A machine as its expiry acts on it: {@link LocalMachine}, or a fake in tests. */
    interface Expiring {
        MachineState status();

        /** Saves the guest and releases its VM ({@link MachineBackend#pause}); throws when it cannot. */
        void pause();

        /** Stops the machine, {@code reason} its last stop reason. */
        void stop(String reason);

        /** Tells the machine's listener (the engine, which records it) that it paused by itself. */
        void paused();
    }

    private Expiry() {
    }

    /** Runs {@code stop} once {@code ttl} has passed, on a thread of its own so the timer never waits for a guest. */
    static ScheduledFuture<?> schedule(Duration ttl, Runnable stop) {
        return TIMER.schedule(() -> Thread.ofVirtual().name("flint-expire").start(stop), ttl.toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * The time to live {@code ttl} of {@code machine} ran out: with {@link TimeoutAction#PAUSE} it
     * is paused (saved to disk, the next command resumes it); with {@link TimeoutAction#STOP}, or
     * when the pause cannot save it, it is stopped, since a time to live always ends the running
     * machine. A machine that no longer runs is left as it is.
     */
    static void expire(Expiring machine, TimeoutAction action, Duration ttl) {
        if (machine.status() != MachineState.RUNNING) {
            return;
        }
        if (action == TimeoutAction.PAUSE) {
            try {
                machine.pause();
                machine.paused();
                return;
            } catch (RuntimeException e) {
                // Not saved: stopped below, which the stop reason says.
                machine.stop("its time to live of " + ttl.toSeconds() + " s ran out and it could not be paused: "
                        + e.getMessage());
                return;
            }
        }
        machine.stop("its time to live of " + ttl.toSeconds() + " s ran out");
    }
}
