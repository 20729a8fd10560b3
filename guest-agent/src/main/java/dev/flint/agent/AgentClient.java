package dev.flint.agent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * The host side of Flint's exec protocol over any byte channel (a vsock stream to a guest, a
 * Unix socket to the agent built for the host in tests). Several processes run at once; a
 * reader thread routes frames to them by id.
 */
public final class AgentClient implements AutoCloseable {
    public static final int PROTOCOL_VERSION = 5;
    /** How long after its timeout a process may take to report its death before we give up on it. */
    static final Duration KILL_GRACE = Duration.ofSeconds(5);
    static final int SIGKILL = 9;
    /** How long a ping or a renewal waits for the agent's answer. */
    static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(10);

    private final ByteChannel channel;
    private final String agentVersion;
    private final Map<Integer, ExecHandle> processes = new ConcurrentHashMap<>();
    private final Map<Integer, Call> calls = new ConcurrentHashMap<>();
    private final Map<Integer, FileCall> fileCalls = new ConcurrentHashMap<>();
    private final AtomicInteger nextId = new AtomicInteger(1);
    private final Object writeLock = new Object();
    private volatile IOException failure;
    private volatile Liveness liveness;

    /** A request (PING, RENEW) waiting for the agent's answer to its id. */
    private record Call(int request, CompletableFuture<Frame> answer) {
    }

    private AgentClient(ByteChannel channel, String agentVersion) {
        this.channel = channel;
        this.agentVersion = agentVersion;
        // A platform thread, not a virtual one: every frame wakes it, and waking a virtual thread
        // goes through the scheduler's pool (a submit, a carrier's unpark, a mount), which on a
        // single CPU the guest's vCPU waits for (in the rig, 2.6 ms of the pool's CPU per exec).
        Thread.ofPlatform().daemon().name("flint-agent-reader").start(this::readLoop);
    }

    /** Waits for the agent's HELLO on {@code channel} and checks its protocol version. */
    public static AgentClient connect(ByteChannel channel, Duration helloTimeout) throws IOException {
        CompletableFuture<Frame> hello = CompletableFuture.supplyAsync(() -> {
            try {
                return Frame.read(channel);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, runnable -> Thread.ofVirtual().start(runnable));
        Frame frame;
        try {
            frame = hello.get(helloTimeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            channel.close();
            throw new IOException("the agent said nothing within " + helloTimeout.toMillis() + " ms of connecting");
        } catch (ExecutionException e) {
            channel.close();
            throw new IOException("no hello from the agent: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            channel.close();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the agent's hello", e);
        }
        if (frame.type() != Frame.HELLO || frame.payload().length < 2) {
            channel.close();
            throw new ProtocolViolationException("its first frame was type " + frame.type() + " of "
                    + frame.payload().length + " bytes, not a HELLO");
        }
        int version = ByteBuffer.wrap(frame.payload()).getShort();
        if (version != PROTOCOL_VERSION) {
            channel.close();
            throw new IOException("the agent speaks protocol " + version + ", this client " + PROTOCOL_VERSION
                    + "; rebuild the guest image with this Flint (./flint build)");
        }
        String agent = new String(frame.payload(), 2, frame.payload().length - 2, StandardCharsets.UTF_8);
        return new AgentClient(channel, agent);
    }

    public String agentVersion() {
        return agentVersion;
    }

    /** Starts a process; its output goes to {@code listener} as it arrives (and is not kept, so not capped). */
    public ExecHandle start(ExecRequest request, OutputListener listener) throws IOException {
        return start(request, listener, 0);
    }

    private ExecHandle start(ExecRequest request, OutputListener listener, int maxOutput) throws IOException {
        int id = nextId.getAndIncrement();
        ExecHandle handle = new ExecHandle(this, id, listener, maxOutput);
        processes.put(id, handle);
        handle.exited.whenComplete((result, error) -> processes.remove(id));
        try {
            send(new Frame(Frame.EXEC, id, request.encode()));
            if (request.stdin().isPresent() && !request.interactive()) {
                handle.writeStdin(request.stdin().get());
                handle.closeStdin();
            }
        } catch (IOException e) {
            processes.remove(id);
            throw e;
        }
        return handle;
    }

    /**
     * Runs a process to completion and returns its output, at most
     * {@link ExecLimits#DEFAULT_MAX_OUTPUT} bytes of each stream. With a timeout the agent kills
     * it when the time is up and this throws {@link ExecTimeoutException}.
     */
    public ProcessResult exec(ExecRequest request) throws IOException, InterruptedException, ExecTimeoutException {
        return exec(request, ExecLimits.DEFAULT_MAX_OUTPUT);
    }

    /**
     * As {@link #exec(ExecRequest)}, keeping at most {@code maxOutput} bytes (positive) of each of
     * stdout and stderr: the rest is read and dropped, and the result says
     * {@link ProcessResult#truncated()}.
     */
    public ProcessResult exec(ExecRequest request, int maxOutput)
            throws IOException, InterruptedException, ExecTimeoutException {
        if (maxOutput <= 0) {
            throw new IllegalArgumentException("maxOutput must be positive, got " + maxOutput);
        }
        ExecHandle handle = start(request, OutputListener.NONE, maxOutput);
        if (request.timeout().isEmpty()) {
            return handle.waitFor(Duration.ofDays(365));
        }
        Duration timeout = request.timeout().get();
        long started = System.nanoTime();
        ProcessResult result = handle.waitFor(timeout.plus(KILL_GRACE));
        if (result == null) {
            handle.kill(SIGKILL);
            throw new ExecTimeoutException(String.join(" ", request.argv()), timeout, handle.partial());
        }
        boolean ranOut = System.nanoTime() - started >= timeout.toNanos();
        if (result.signal() == SIGKILL && ranOut) {
            throw new ExecTimeoutException(String.join(" ", request.argv()), timeout, result);
        }
        return result;
    }

    /** Round trip of a PING to the agent. */
    public Duration ping() throws IOException, InterruptedException {
        long start = System.nanoTime();
        long arrived = call(Frame.PING, new byte[0], frame -> System.nanoTime());
        return Duration.ofNanos(arrived - start);
    }

    /**
     * Sets the guest's wall clock, mixes the entropy into its kernel's RNG and reseeds it, and
     * renames it when the renewal has a hostname: what a guest restored from a snapshot needs
     * before any user command runs (PROTOCOL.md, "Renewal"). Waits at most
     * {@link #ANSWER_TIMEOUT} for the agent's answer.
     *
     * @throws RenewFailedException when a step failed in the guest (the others were done), naming each with its errno
     * @throws IOException when the agent did not answer in time or the connection is gone
     */
    public void renew(Renewal renewal) throws IOException, InterruptedException {
        call(Frame.RENEW, renewal.encode(), frame -> frame);
    }

    /**
     * Sends a request frame under a new id and waits for its answer; {@code onAnswer} runs on
     * the reader thread as the answer arrives (so a ping measures its arrival, not our wake-up).
     */
    private <T> T call(int request, byte[] payload, Function<Frame, T> onAnswer)
            throws IOException, InterruptedException {
        int id = nextId.getAndIncrement();
        CompletableFuture<Frame> answer = new CompletableFuture<>();
        CompletableFuture<T> result = answer.thenApply(onAnswer);
        calls.put(id, new Call(request, answer));
        try {
            send(new Frame(request, id, payload));
            return result.get(ANSWER_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RenewFailedException failed) {
                throw failed;
            }
            throw new IOException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("the agent did not answer a " + Frame.name(request) + " within "
                    + ANSWER_TIMEOUT.toSeconds() + " s");
        } finally {
            calls.remove(id);
        }
    }

    /**
     * From now on, fails every waiting call when the agent sends nothing, not even an answer to
     * the pings this sends while calls wait, for {@code limit} while {@code guestRuns} (false
     * while the guest is paused: not silence). What a hung or CPU-starved guest needs, so that an
     * exec without a timeout does not wait for ever. Once per client.
     */
    public void watchLiveness(Duration limit, BooleanSupplier guestRuns) {
        Liveness watcher = new Liveness(limit, guestRuns, () -> !processes.isEmpty() || !calls.isEmpty() || !fileCalls.isEmpty(), this::sendPing);
        synchronized (writeLock) {
            if (liveness != null) {
                throw new IllegalStateException("this agent client's liveness is watched already");
            }
            liveness = watcher;
        }
        Thread.ofVirtual().name("flint-agent-liveness").start(() -> watcher.watch(silence -> {
            failAll(silence);
            close();
        }));
    }

    /** A ping whose answer nobody awaits: any frame from the agent counts as life. */
    private void sendPing() {
        try {
            send(new Frame(Frame.PING, nextId.getAndIncrement(), new byte[0]));
        } catch (IOException e) {
            // The reader sees the broken connection and fails every waiting call.
        }
    }

    /** The machine's files (PROTOCOL.md, "Files"). */
    public GuestFiles files() {
        return new GuestFiles(this, java.util.Optional.empty());
    }

    /** The files of an image root as its processes see them; {@code root} has a persistent upper. */
    public GuestFiles files(ExecRequest.ImageRoot root) {
        return new GuestFiles(this, java.util.Optional.of(root));
    }

    /** Sends a file request under a new id; its answers go to the returned call until {@link #endFileCall}. */
    FileCall startFileCall(FileCall.Kind kind, int type, String path, byte[] payload) throws IOException {
        int id = nextId.getAndIncrement();
        FileCall call = new FileCall(this, id, kind, path);
        fileCalls.put(id, call);
        IOException failed = failure;
        if (failed != null) {
            call.connectionLost(failed);
        }
        try {
            send(new Frame(type, id, payload));
        } catch (IOException e) {
            fileCalls.remove(id);
            throw e;
        }
        return call;
    }

    /** Forgets a file call; one the agent has not ended yet is stopped (a read, a list) or closed (a write). */
    void endFileCall(FileCall call) {
        if (fileCalls.remove(call.id) != null && !call.ended()) {
            try {
                send(new Frame(Frame.FILE_END, call.id, new byte[0]));
            } catch (IOException e) {
                // The connection is gone: the agent ended the transfer with it.
            }
        }
    }

    /** Asks the agent to sync and power the guest off. */
    public void powerOff() throws IOException {
        send(new Frame(Frame.POWEROFF, 0, new byte[0]));
    }

    void send(Frame frame) throws IOException {
        IOException failed = failure;
        if (failed != null) {
            throw new IOException("the agent connection is gone: " + failed.getMessage(), failed);
        }
        ByteBuffer bytes = frame.encode();
        synchronized (writeLock) {
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
        }
    }

    private void readLoop() {
        try {
            while (true) {
                Frame frame = Frame.read(channel);
                Liveness watcher = liveness;
                if (watcher != null) {
                    watcher.heard();
                }
                frame.checkFromAgent();
                int request = Frame.answers(frame.type());
                if (request >= 0) {
                    Call call = calls.get(frame.id());
                    if (call != null && call.request() != request) {
                        throw new ProtocolViolationException(Frame.name(frame.type()) + " frame for id " + frame.id()
                                + ", which waits for the answer to a " + Frame.name(call.request()));
                    }
                    // Decoded here, so that a malformed one closes the connection like any violation.
                    RenewFailedException failed = frame.type() == Frame.RENEW_FAILED
                            ? RenewFailedException.decode(frame.payload()) : null;
                    if (call != null && failed != null) {
                        call.answer().completeExceptionally(failed);
                    } else if (call != null) {
                        call.answer().complete(frame);
                    }
                    continue;
                }
                if (Frame.isFileAnswer(frame.type())) {
                    FileCall call = fileCalls.get(frame.id());
                    if (call != null) {
                        call.onFrame(frame);
                    }
                    continue;
                }
                ExecHandle handle = processes.get(frame.id());
                if (handle != null) {
                    handle.onFrame(frame);
                }
            }
        } catch (ProtocolViolationException e) {
            failPending(e);
            close();   // its framing can no longer be trusted
        } catch (IOException e) {
            failPending(e);
        } catch (RuntimeException | Error e) {
            // A reader that dies silently would leave every call waiting forever.
            failPending(new IOException("reading from the agent failed: " + e, e));
            close();
            if (e instanceof Error error) {
                throw error;
            }
        }
    }

    /** Ends every pending call (processes, pings, renewals) with {@code cause}; later calls fail with it too. */
    private void failPending(Throwable cause) {
        failAll(cause instanceof IOException io ? io : new IOException(cause.getMessage(), cause));
    }

    /**
     * Fails every pending call (processes waited on, pings, renewals) with {@code cause} at once, and every
     * later one: for the host that learned the guest is gone (it crashed, its VM ended) before the
     * connection says so. The first failure a call sees is the one it keeps.
     */
    public void failAll(IOException cause) {
        synchronized (calls) {
            if (failure == null) {
                failure = cause;   // later calls say why the connection ended, not how it was closed after
            }
        }
        processes.values().forEach(handle -> handle.connectionLost(cause));
        calls.values().forEach(call -> call.answer().completeExceptionally(cause));
        fileCalls.values().forEach(call -> call.connectionLost(cause));
    }

    /** Closes the connection; processes still running in the guest are killed by the agent. */
    @Override
    public void close() {
        Liveness watcher = liveness;
        if (watcher != null) {
            watcher.stop();
        }
        try {
            channel.close();
        } catch (IOException e) {
            // Closing is best effort.
        }
    }
}
