package dev.flint.agent;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.Pipe;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** An agent that says hello and then never answers, as a crashed guest's: failAll must end every wait. */
class AgentClientFailAllTest {
    private final Pipe toAgent = open();
    private final Pipe toHost = open();
    private AgentClient client;

    private static Pipe open() {
        try {
            return Pipe.open();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The host's end: reads what the silent agent writes, writes where it never reads back. */
    private ByteChannel hostEnd() {
        return new ByteChannel() {
            @Override
            public int read(ByteBuffer dst) throws IOException {
                return toHost.source().read(dst);
            }

            @Override
            public int write(ByteBuffer src) throws IOException {
                return toAgent.sink().write(src);
            }

            @Override
            public boolean isOpen() {
                return toHost.source().isOpen();
            }

            @Override
            public void close() throws IOException {
                toHost.source().close();
                toAgent.sink().close();
            }
        };
    }

    private AgentClient connect() throws IOException {
        byte[] version = "silent".getBytes(StandardCharsets.UTF_8);
        ByteBuffer hello = ByteBuffer.allocate(2 + version.length).putShort((short) AgentClient.PROTOCOL_VERSION).put(version);
        ByteBuffer frame = new Frame(Frame.HELLO, 0, hello.array()).encode();
        while (frame.hasRemaining()) {
            toHost.sink().write(frame);
        }
        // The agent's side drains what the host sends, so writes never block, and answers nothing.
        Thread.ofVirtual().start(() -> {
            ByteBuffer sink = ByteBuffer.allocate(4096);
            try {
                while (toAgent.source().read(sink.clear()) >= 0) {
                    // dropped
                }
            } catch (IOException e) {
                // closed at the end of the test
            }
        });
        client = AgentClient.connect(hostEnd(), Duration.ofSeconds(5));
        return client;
    }

    @AfterEach
    void close() throws IOException {
        if (client != null) {
            client.close();
        }
        toHost.sink().close();
        toAgent.source().close();
    }

    @Test
    void failsAnExecInFlightAndAPingAtOnceWithTheCause() throws Exception {
        AgentClient agent = connect();
        CompletableFuture<ProcessResult> exec = CompletableFuture.supplyAsync(() -> {
            try {
                return agent.exec(ExecRequest.builder(List.of("sleep", "1000")).build());
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        }, r -> Thread.ofVirtual().start(r));
        CompletableFuture<Duration> ping = CompletableFuture.supplyAsync(() -> {
            try {
                return agent.ping();
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        }, r -> Thread.ofVirtual().start(r));
        Thread.sleep(200);   // both calls are waiting on the agent by now
        assertFalse(exec.isDone());
        assertFalse(ping.isDone());

        IOException crash = new IOException("the guest crashed");
        long start = System.nanoTime();
        agent.failAll(crash);
        ExecutionException execFailure = assertThrows(ExecutionException.class, () -> exec.get(2, TimeUnit.SECONDS));
        assertSame(crash, execFailure.getCause());
        ExecutionException pingFailure = assertThrows(ExecutionException.class, () -> ping.get(2, TimeUnit.SECONDS));
        assertInstanceOf(IOException.class, pingFailure.getCause());
        assertEquals("the guest crashed", pingFailure.getCause().getMessage());
        assertFalse(Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(1)) > 0,
                "the calls ended promptly");
    }

    @Test
    void laterCallsFailWithTheCauseToo() throws Exception {
        AgentClient agent = connect();
        agent.failAll(new IOException("the guest crashed"));
        IOException later = assertThrows(IOException.class,
                () -> agent.exec(ExecRequest.builder(List.of("true")).build()));
        assertEquals("the agent connection is gone: the guest crashed", later.getMessage());
    }
}
