package dev.flint.machine.wire;

import java.net.http.HttpClient;
import java.time.Duration;

/**
 * An {@link HttpClient} for the life of the JVM that does not slow its exit. A client's selector
 * thread sits in {@code epoll_wait}, in native code, and the JVM's exit waits up to 300 ms for
 * threads in native code to return: every {@code flint ls}, {@code exec} or {@code create} paid
 * that after its output was out. A shutdown hook stops the client first, before that wait.
 */
public final class ExitFriendlyHttpClient {
    /** Long enough for the selector thread to see the shutdown and return; short against the 300 ms it saves. */
    private static final Duration STOP_WAIT = Duration.ofMillis(100);

    private ExitFriendlyHttpClient() {
    }

    /** A client built by {@code builder}, stopped at JVM exit. */
    public static HttpClient of(HttpClient.Builder builder) {
        HttpClient client = builder.build();
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(() -> {
            client.shutdownNow();
            try {
                client.awaitTermination(STOP_WAIT);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        return client;
    }
}
