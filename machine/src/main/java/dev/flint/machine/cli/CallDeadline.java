package dev.flint.machine.cli;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs one call on a thread of its own and waits at most a deadline for it: a call that does
 * not end is reported as a hang instead of hanging the caller. The call's thread is a daemon,
 * so a hung one does not keep the JVM alive after the report.
 */
final class CallDeadline {
    /** A call that did not end within its deadline. */
    static final class HangException extends RuntimeException {
        HangException(String what, Duration deadline) {
            super(what + " did not end within " + deadline.toSeconds() + " s (its deadline): a hang");
        }
    }

    private CallDeadline() {
    }

    /** The call's result; its own exception as it was thrown; {@link HangException} past the deadline. */
    static <T> T call(String what, Duration deadline, Callable<T> call) throws Exception {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("soak-call").start(() -> {
            try {
                result.complete(call.call());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        try {
            return result.get(deadline.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new HangException(what, deadline);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw (Error) e.getCause();
        }
    }
}
