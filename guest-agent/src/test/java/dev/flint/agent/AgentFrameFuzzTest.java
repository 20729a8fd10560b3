package dev.flint.agent;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Fuzz target {@code agent-frames}: the host's side of the agent protocol fed whatever a
 * compromised guest agent sends. First {@link Frame#read} alone over the bytes, then an
 * {@link AgentClient} that got a proper HELLO, started one exec (id 1) and sent one renewal
 * (id 2), whose reader gets the bytes as the agent's frames and then the end of the stream.
 * Oracle: decoding throws only {@link IOException}; the exec and the renewal always end (with a
 * result or an IOException) once the stream has ended: a reader thread that dies of anything
 * else would leave them pending forever.
 * {@code ./flint fuzz agent-frames}; the unit tests replay
 * {@code AgentFrameFuzzTestInputs/replay}.
 */
public class AgentFrameFuzzTest {
    private static final Duration ENDS_WITHIN = Duration.ofSeconds(2);

    private static final Renewal RENEWAL = new Renewal(java.time.Instant.EPOCH, new byte[ExecLimits.MIN_RENEW_ENTROPY],
            java.util.Optional.of("fuzz"));

    /** An agent that says HELLO, waits until the exec and the renewal were sent, then plays the script and hangs up. */
    private static final class ScriptedAgent implements ByteChannel {
        private final ByteBuffer hello;
        private final ByteBuffer script;
        private final CountDownLatch execSent = new CountDownLatch(2);   // the EXEC and RENEW frames
        private volatile boolean open = true;

        ScriptedAgent(byte[] script) {
            byte[] version = "fuzz".getBytes(StandardCharsets.UTF_8);
            this.hello = new Frame(Frame.HELLO, 0, ByteBuffer.allocate(2 + version.length)
                    .putShort((short) AgentClient.PROTOCOL_VERSION).put(version).array()).encode();
            this.script = ByteBuffer.wrap(script);
        }

        @Override
        public int read(ByteBuffer into) throws IOException {
            ByteBuffer from = hello;
            if (!hello.hasRemaining()) {
                try {
                    execSent.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                }
                from = script;
            }
            if (!from.hasRemaining()) {
                return -1;
            }
            int n = Math.min(into.remaining(), from.remaining());
            into.put(into.position(), from, from.position(), n).position(into.position() + n);
            from.position(from.position() + n);
            return n;
        }

        @Override
        public int write(ByteBuffer from) {
            int n = from.remaining();
            from.position(from.limit());
            if (n > 0) {
                execSent.countDown();   // the client writes each frame whole
            }
            return n;
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            open = false;
            execSent.countDown();
            execSent.countDown();
        }
    }

    public static void fuzzerTestOneInput(byte[] input) throws Exception {
        ReadableByteChannel bytes = Channels.newChannel(new ByteArrayInputStream(input));
        try {
            while (true) {
                Frame.read(bytes);
            }
        } catch (IOException expected) {
            // The end of the bytes, or a frame the protocol refuses.
        }

        ScriptedAgent agent = new ScriptedAgent(input);
        try (AgentClient client = AgentClient.connect(agent, Duration.ofSeconds(5))) {
            ExecHandle handle = client.start(ExecRequest.builder(List.of("true")).build(), OutputListener.NONE);
            CompletableFuture<Void> renewal = CompletableFuture.runAsync(() -> {
                try {
                    client.renew(RENEWAL);
                } catch (IOException expected) {
                    // The agent said it failed, the connection ended, or it said something refused.
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, runnable -> Thread.ofVirtual().start(runnable));
            try {
                if (handle.waitFor(ENDS_WITHIN) == null) {
                    throw new AssertionError("an exec was still pending " + ENDS_WITHIN.toMillis()
                            + " ms after the agent's stream ended");
                }
            } catch (IOException expected) {
                // The connection ended or the agent said something the client refuses.
            }
            try {
                renewal.get(ENDS_WITHIN.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                throw new AssertionError("a renewal was still pending " + ENDS_WITHIN.toMillis()
                        + " ms after the agent's stream ended");
            } catch (ExecutionException e) {
                throw new AssertionError("a renewal failed with something other than an IOException", e.getCause());
            }
        }
    }

    @FuzzTest
    @Timeout(10)
    void replay(byte[] input) throws Exception {
        fuzzerTestOneInput(input);
    }
}
