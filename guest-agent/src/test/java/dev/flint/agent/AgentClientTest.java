package dev.flint.agent;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
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

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link AgentClient} against a scripted agent over two pipes: what it does with bad frames and big output. */
class AgentClientTest {
    private Pipe toHost;
    private Pipe toAgent;
    private AgentClient client;

    @BeforeEach
    void connect() throws IOException {
        toHost = Pipe.open();
        toAgent = Pipe.open();
        ByteChannel channel = new ByteChannel() {
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
        byte[] version = "test".getBytes(StandardCharsets.UTF_8);
        agentSends(new Frame(Frame.HELLO, 0, ByteBuffer.allocate(2 + version.length)
                .putShort((short) AgentClient.PROTOCOL_VERSION).put(version).array()));
        client = AgentClient.connect(channel, Duration.ofSeconds(5));
    }

    @AfterEach
    void close() {
        client.close();
    }

    private void agentSends(Frame frame) throws IOException {
        ByteBuffer bytes = frame.encode();
        while (bytes.hasRemaining()) {
            toHost.sink().write(bytes);
        }
    }

    /** The next frame the client sent to the agent. */
    private Frame agentReceives() throws IOException {
        return Frame.read(toAgent.source());
    }

    private CompletableFuture<ProcessResult> execInBackground(int maxOutput) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return client.exec(ExecRequest.builder(List.of("true")).build(), maxOutput);
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
    }

    /** Fails fast instead of hanging: the whole point is that a bad frame ends every call. */
    private static Throwable failureOf(CompletableFuture<?> call) throws Exception {
        var e = assertThrows(ExecutionException.class, () -> call.get(10, TimeUnit.SECONDS));
        return e.getCause();
    }

    /**
     * The reader is a platform thread (a frame wakes it without the virtual-thread scheduler's
     * pool), so it shows in the thread list a leak check reads, and it ends with the client.
     */
    @Test
    void theReaderIsADaemonThreadThatEndsWhenTheClientCloses() throws Exception {
        List<Thread> readers = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("flint-agent-reader") && t.isAlive()).toList();
        assertFalse(readers.isEmpty(), "the client's reader is in the thread list");
        for (Thread reader : readers) {
            assertFalse(reader.isVirtual());
            assertTrue(reader.isDaemon(), "a client left open does not keep the JVM alive");
        }
        client.close();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (readers.stream().filter(Thread::isAlive).count() == readers.size() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        // At least one ended, not exactly one: a reader an earlier test left may end in the same moment.
        assertTrue(readers.stream().filter(Thread::isAlive).count() < readers.size(), "the reader ended with its client");
    }

    @Test
    void aShortStartedPayloadFailsEveryPendingCallAndTheClient() throws Exception {
        CompletableFuture<ProcessResult> first = execInBackground(1024);
        CompletableFuture<ProcessResult> second = execInBackground(1024);
        Frame exec = agentReceives();
        agentReceives();
        assertEquals(Frame.EXEC, exec.type());
        agentSends(new Frame(Frame.STARTED, exec.id(), new byte[2]));
        for (CompletableFuture<ProcessResult> call : List.of(first, second)) {
            Throwable cause = failureOf(call);
            assertInstanceOf(ProtocolViolationException.class, cause);
            assertEquals("protocol violation from the agent: STARTED frame for id " + exec.id()
                    + " with a payload of 2 bytes; it has 4", cause.getMessage());
        }
        var later = assertThrows(IOException.class, () -> client.exec(ExecRequest.builder(List.of("true")).build()));
        assertTrue(later.getMessage().contains("protocol violation"), later.getMessage());
        assertThrows(IOException.class, client::ping, "a ping fails at once too");
    }

    @Test
    void aShortExitPayloadFailsThePendingCall() throws Exception {
        CompletableFuture<ProcessResult> call = execInBackground(1024);
        Frame exec = agentReceives();
        agentSends(new Frame(Frame.STARTED, exec.id(), new byte[4]));
        agentSends(new Frame(Frame.EXIT, exec.id(), new byte[5]));
        Throwable cause = failureOf(call);
        assertInstanceOf(ProtocolViolationException.class, cause);
        assertTrue(cause.getMessage().contains("EXIT frame for id " + exec.id() + " with a payload of 5 bytes; it has 8"),
                cause.getMessage());
    }

    @Test
    void anExecFailedWhoseStringsOverrunItsPayloadFailsThePendingCall() throws Exception {
        CompletableFuture<ProcessResult> call = execInBackground(1024);
        Frame exec = agentReceives();
        byte[] payload = ByteBuffer.allocate(16).putInt(2).putInt(1000).array();   // a step of 1000 bytes in 8
        agentSends(new Frame(Frame.EXEC_FAILED, exec.id(), payload));
        Throwable cause = failureOf(call);
        assertInstanceOf(ProtocolViolationException.class, cause);
        assertTrue(cause.getMessage().contains("EXEC_FAILED step of 1000 bytes"), cause.getMessage());
    }

    @Test
    void aFrameTypeTheAgentNeverSendsFailsThePendingCall() throws Exception {
        CompletableFuture<ProcessResult> call = execInBackground(1024);
        Frame exec = agentReceives();
        agentSends(new Frame(Frame.STDIN, exec.id(), new byte[1]));
        assertTrue(failureOf(call).getMessage().contains("a frame of type 5"));
    }

    @Test
    void aWellFormedExecFailedIsAStartFailureAndTheClientStaysUsable() throws Exception {
        CompletableFuture<ProcessResult> call = execInBackground(1024);
        Frame exec = agentReceives();
        ByteBuffer payload = ByteBuffer.allocate(128).putInt(2);
        for (String field : List.of("chdir", "ENOENT", "/srv")) {
            payload.putInt(field.length()).put(field.getBytes(StandardCharsets.UTF_8));
        }
        payload.put("chdir /srv: No such file or directory".getBytes(StandardCharsets.UTF_8)).flip();
        byte[] bytes = new byte[payload.remaining()];
        payload.get(bytes);
        agentSends(new Frame(Frame.EXEC_FAILED, exec.id(), bytes));
        var failed = assertInstanceOf(ExecFailedException.class, failureOf(call));
        assertEquals(StartFailure.Step.CHDIR, failed.failure().step());
        assertEquals("/srv", failed.failure().path());
        assertEquals("chdir /srv: No such file or directory (ENOENT, errno 2)", failed.getMessage());
        CompletableFuture<ProcessResult> next = execInBackground(1024);
        Frame again = agentReceives();
        agentSends(new Frame(Frame.EXIT, again.id(), new byte[8]));
        assertEquals(0, next.get(10, TimeUnit.SECONDS).exitCode());
    }

    private CompletableFuture<Void> renewInBackground(Renewal renewal) {
        return CompletableFuture.runAsync(() -> {
            try {
                client.renew(renewal);
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
    }

    @Test
    void renewSendsOneRenewFrameAndReturnsOnRenewed() throws Exception {
        Renewal renewal = Renewal.now(java.util.Optional.of("clone-1"));
        CompletableFuture<Void> call = renewInBackground(renewal);
        Frame renew = agentReceives();
        assertEquals(Frame.RENEW, renew.type());
        assertArrayEquals(renewal.encode(), renew.payload());
        agentSends(new Frame(Frame.RENEWED, renew.id() + 1, new byte[0]));   // nobody's: ignored
        assertFalse(call.isDone());
        agentSends(new Frame(Frame.RENEWED, renew.id(), new byte[0]));
        call.get(10, TimeUnit.SECONDS);
    }

    @Test
    void renewFailedNamesEachStepAndTheClientStaysUsable() throws Exception {
        CompletableFuture<Void> call = renewInBackground(Renewal.now(java.util.Optional.empty()));
        Frame renew = agentReceives();
        agentSends(new Frame(Frame.RENEW_FAILED, renew.id(), RenewalTest.renewFailed(
                1, "clock", "EPERM", "set the clock to 1.000000000: Operation not permitted")));
        var failed = assertInstanceOf(RenewFailedException.class, failureOf(call));
        assertEquals(RenewFailedException.Step.CLOCK, failed.failures().getFirst().step());
        assertTrue(failed.getMessage().endsWith("clock: set the clock to 1.000000000: Operation not permitted"
                + " (EPERM, errno 1)"), failed.getMessage());
        CompletableFuture<Void> next = renewInBackground(Renewal.now(java.util.Optional.empty()));
        agentSends(new Frame(Frame.RENEWED, agentReceives().id(), new byte[0]));
        next.get(10, TimeUnit.SECONDS);
    }

    @Test
    void aMalformedRenewAnswerIsAViolationThatEndsTheConnection() throws Exception {
        CompletableFuture<Void> renew = renewInBackground(Renewal.now(java.util.Optional.empty()));
        Frame sent = agentReceives();
        CompletableFuture<ProcessResult> exec = execInBackground(1024);
        agentReceives();
        agentSends(new Frame(Frame.RENEW_FAILED, sent.id(), ByteBuffer.allocate(8).putInt(1).putInt(7).array()));
        Throwable cause = failureOf(renew);
        assertTrue(cause.getMessage().contains("protocol violation from the agent: RENEW_FAILED payload ends before its step"),
                cause.getMessage());
        assertInstanceOf(ProtocolViolationException.class, failureOf(exec), "every pending call ends");
    }

    @Test
    void anAnswerOfTheWrongKindIsAViolation() throws Exception {
        CompletableFuture<Void> renew = renewInBackground(Renewal.now(java.util.Optional.empty()));
        agentSends(new Frame(Frame.PONG, agentReceives().id(), new byte[0]));
        assertTrue(failureOf(renew).getMessage().contains("PONG frame for id 1, which waits for the answer to a RENEW"));
        CompletableFuture<Void> again = CompletableFuture.runAsync(() -> {
            try {
                client.renew(Renewal.now(java.util.Optional.empty()));
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
        assertTrue(failureOf(again).getMessage().contains("the agent connection is gone"));
    }

    @Test
    void aRenewedWithAPayloadIsAViolation() throws Exception {
        CompletableFuture<Void> renew = renewInBackground(Renewal.now(java.util.Optional.empty()));
        agentSends(new Frame(Frame.RENEWED, agentReceives().id(), new byte[1]));
        assertTrue(failureOf(renew).getMessage().contains("RENEWED frame for id 1 with a payload of 1 bytes; it has 0"));
    }

    @Test
    void aRenewPendingWhenTheConnectionEndsFailsAtOnce() throws Exception {
        CompletableFuture<Void> renew = renewInBackground(Renewal.now(java.util.Optional.empty()));
        agentReceives();
        toHost.sink().close();
        assertInstanceOf(IOException.class, failureOf(renew));
    }

    @Test
    void collectedOutputStopsAtTheCapAndSaysSo() throws Exception {
        CompletableFuture<ProcessResult> call = execInBackground(1000);
        Frame exec = agentReceives();
        agentSends(new Frame(Frame.STARTED, exec.id(), new byte[4]));
        byte[] chunk = new byte[300];
        for (int i = 0; i < 5; i++) {
            java.util.Arrays.fill(chunk, (byte) ('a' + i));
            agentSends(new Frame(Frame.STDOUT, exec.id(), chunk.clone()));
        }
        agentSends(new Frame(Frame.STDERR, exec.id(), "small".getBytes(StandardCharsets.UTF_8)));
        agentSends(new Frame(Frame.EXIT, exec.id(), new byte[8]));
        ProcessResult result = call.get(10, TimeUnit.SECONDS);
        assertTrue(result.truncated());
        assertEquals(1000, result.stdout().length, "the first 1000 bytes are kept");
        assertEquals('d', result.stdout()[999]);
        assertArrayEquals("small".getBytes(StandardCharsets.UTF_8), result.stderr());
    }

    @Test
    void outputWithinTheCapIsNotTruncated() throws Exception {
        CompletableFuture<ProcessResult> call = execInBackground(5);
        Frame exec = agentReceives();
        agentSends(new Frame(Frame.STDOUT, exec.id(), "12345".getBytes(StandardCharsets.UTF_8)));
        agentSends(new Frame(Frame.EXIT, exec.id(), new byte[8]));
        ProcessResult result = call.get(10, TimeUnit.SECONDS);
        assertFalse(result.truncated());
        assertEquals("12345", result.stdoutText());
        assertThrows(IllegalArgumentException.class, () -> client.exec(ExecRequest.builder(List.of("true")).build(), 0));
    }

    @Test
    void failAllEndsAnExecInFlightAndAPingAtOnceWithTheCause() throws Exception {
        // The agent says hello and then never answers, as a crashed guest's.
        CompletableFuture<ProcessResult> exec = execInBackground(1024);
        CompletableFuture<Duration> ping = CompletableFuture.supplyAsync(() -> {
            try {
                return client.ping();
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
        agentReceives();
        agentReceives();   // both calls are waiting on the agent now
        assertFalse(exec.isDone() || ping.isDone());

        IOException crash = new IOException("the guest crashed");
        client.failAll(crash);
        assertSame(crash, failureOf(exec));
        assertEquals("the guest crashed", failureOf(ping).getMessage());
        IOException later = assertThrows(IOException.class, () -> client.exec(ExecRequest.builder(List.of("true")).build()));
        assertEquals("the agent connection is gone: the guest crashed", later.getMessage());
    }

    private static final Duration LIVENESS = Duration.ofSeconds(1);

    @Test
    void aSilentAgentFailsAWaitingExecWithoutATimeoutSayingTheGuestIsHung() throws Exception {
        client.watchLiveness(LIVENESS, () -> true);
        CompletableFuture<ProcessResult> call = execInBackground(1024);
        assertEquals(Frame.EXEC, agentReceives().type());
        Frame ping = agentReceives();
        assertEquals(Frame.PING, ping.type(), "a silent agent is pinged before it is given up on");
        Throwable cause = failureOf(call);
        assertTrue(cause.getMessage().startsWith("the guest is hung or gets no CPU: its agent sent nothing, not even an"
                + " answer to a ping, for 1 s"), cause.getMessage());
        IOException later = assertThrows(IOException.class, () -> client.exec(ExecRequest.builder(List.of("true")).build()));
        assertTrue(later.getMessage().contains("the guest is hung"), later.getMessage());
    }

    @Test
    void anAgentThatAnswersPingsKeepsALongExecWaiting() throws Exception {
        client.watchLiveness(LIVENESS, () -> true);
        CompletableFuture<ProcessResult> call = execInBackground(1024);
        Frame exec = agentReceives();
        long until = System.nanoTime() + 3 * LIVENESS.toNanos();
        int pings = 0;
        while (System.nanoTime() < until) {
            Frame ping = agentReceives();
            assertEquals(Frame.PING, ping.type());
            agentSends(new Frame(Frame.PONG, ping.id(), ping.payload()));
            pings++;
        }
        assertFalse(call.isDone(), "an exec whose agent answers pings is not given up on");
        agentSends(new Frame(Frame.STARTED, exec.id(), new byte[4]));
        agentSends(new Frame(Frame.EXIT, exec.id(), new byte[8]));
        assertEquals(0, call.get(10, TimeUnit.SECONDS).exitCode());
        assertTrue(pings >= 3, "pinged " + pings + " times");
    }

    @Test
    void aPausedGuestIsNotSilent() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean runs = new java.util.concurrent.atomic.AtomicBoolean(false);
        client.watchLiveness(LIVENESS, runs::get);
        CompletableFuture<ProcessResult> call = execInBackground(1024);
        Frame exec = agentReceives();
        Thread.sleep(3 * LIVENESS.toMillis());
        assertFalse(call.isDone(), "a paused guest's silence means nothing");
        runs.set(true);   // resumed: its clock starts again, so it has the whole limit to answer
        Thread.sleep(LIVENESS.toMillis() / 2);
        agentSends(new Frame(Frame.STARTED, exec.id(), new byte[4]));
        agentSends(new Frame(Frame.EXIT, exec.id(), new byte[8]));
        assertEquals(0, call.get(10, TimeUnit.SECONDS).exitCode());
        assertThrows(IllegalStateException.class, () -> client.watchLiveness(LIVENESS, runs::get));
    }

    private <T> CompletableFuture<T> inBackground(java.util.concurrent.Callable<T> call) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return call.call();
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
    }

    @Test
    void aReadWhoseAgentIgnoresTheWindowIsAViolation() throws Exception {
        CompletableFuture<java.io.InputStream> read = inBackground(() -> client.files().read("/big"));
        Frame request = agentReceives();
        assertEquals(Frame.FILE_READ, request.type());
        // Twice the window while the caller takes at most one chunk: over the window, whatever the pipe still holds.
        try {
            for (int i = 0; i < 2 * FileCall.WINDOW / FileCall.CHUNK; i++) {
                agentSends(new Frame(Frame.FILE_DATA, request.id(), new byte[FileCall.CHUNK]));
            }
        } catch (IOException closed) {
            // The client hung up on the violation.
        }
        Throwable failure;
        try {
            java.io.InputStream in = read.get(10, TimeUnit.SECONDS);
            failure = assertThrows(IOException.class, in::readAllBytes);
        } catch (ExecutionException e) {
            failure = e.getCause();   // the violation came before the read's first chunk was taken
        }
        assertInstanceOf(ProtocolViolationException.class, failure);
        assertTrue(failure.getMessage().contains("over the window of 262144"), failure.getMessage());
    }

    @Test
    void aReadAcknowledgesWhatItsCallerTookAndEndsAtDone() throws Exception {
        CompletableFuture<byte[]> read = inBackground(() -> client.files().readAllBytes("/f", 100));
        Frame request = agentReceives();
        agentSends(new Frame(Frame.FILE_DATA, request.id(), "hello ".getBytes(StandardCharsets.UTF_8)));
        agentSends(new Frame(Frame.FILE_DATA, request.id(), "world".getBytes(StandardCharsets.UTF_8)));
        agentSends(new Frame(Frame.FILE_DONE, request.id(), new byte[0]));
        assertEquals("hello world", new String(read.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8));
        Frame ack = agentReceives();
        assertEquals(Frame.FILE_ACK, ack.type());
        assertEquals(6, ByteBuffer.wrap(ack.payload()).getInt());
        assertEquals(5, ByteBuffer.wrap(agentReceives().payload()).getInt());
    }

    @Test
    void aWriteKeepsAtMostTheWindowInFlightAndAnAckForUnsentBytesIsAViolation() throws Exception {
        byte[] data = new byte[FileCall.WINDOW * 2];
        CompletableFuture<Long> write = inBackground(() -> client.files().write("/f", new java.io.ByteArrayInputStream(data), 0644));
        Frame request = agentReceives();
        assertEquals(Frame.FILE_WRITE, request.type());
        long received = 0;
        for (int i = 0; i < FileCall.WINDOW / FileCall.CHUNK; i++) {
            Frame chunk = agentReceives();
            assertEquals(Frame.FILE_DATA, chunk.type());
            received += chunk.payload().length;
        }
        assertEquals(FileCall.WINDOW, received);
        Thread.sleep(200);
        toAgent.source().configureBlocking(false);
        assertEquals(0, toAgent.source().read(ByteBuffer.allocate(1)), "a full window sends nothing more");
        toAgent.source().configureBlocking(true);
        agentSends(new Frame(Frame.FILE_ACK, request.id(), ByteBuffer.allocate(4).putInt(FileCall.WINDOW + 1).array()));
        Throwable cause = failureOf(write);
        assertInstanceOf(ProtocolViolationException.class, cause);
        assertTrue(cause.getMessage().contains("it has 262144 unacknowledged"), cause.getMessage());
    }

    @Test
    void aStatAnsweredWithDataIsAViolation() throws Exception {
        CompletableFuture<FileEntry> stat = inBackground(() -> client.files().stat("/f"));
        Frame request = agentReceives();
        agentSends(new Frame(Frame.FILE_DATA, request.id(), new byte[1]));
        Throwable cause = failureOf(stat);
        assertInstanceOf(ProtocolViolationException.class, cause);
        assertTrue(cause.getMessage().contains("only a read gets data"), cause.getMessage());
    }
}
