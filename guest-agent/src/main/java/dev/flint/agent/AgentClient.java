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

/**
 * The host side of Flint's exec protocol over any byte channel (a vsock stream to a guest, a
 * Unix socket to the agent built for the host in tests). Several processes run at once; a
 * reader thread routes frames to them by id.
 */
public final class AgentClient implements AutoCloseable {
    public static final int PROTOCOL_VERSION = 2;
    /** How long after its timeout a process may take to report its death before we give up on it. */
    static final Duration KILL_GRACE = Duration.ofSeconds(5);
    static final int SIGKILL = 9;

    private final ByteChannel channel;
    private final String agentVersion;
    private final Map<Integer, ExecHandle> processes = new ConcurrentHashMap<>();
    private final Map<Integer, CompletableFuture<Long>> pings = new ConcurrentHashMap<>();
    private final AtomicInteger nextId = new AtomicInteger(1);
    private final Object writeLock = new Object();
    private volatile IOException failure;

    private AgentClient(ByteChannel channel, String agentVersion) {
        this.channel = channel;
        this.agentVersion = agentVersion;
        Thread.ofVirtual().name("flint-agent-reader").start(this::readLoop);
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
        int id = nextId.getAndIncrement();
        CompletableFuture<Long> pong = new CompletableFuture<>();
        pings.put(id, pong);
        long start = System.nanoTime();
        send(new Frame(Frame.PING, id, new byte[0]));
        try {
            return Duration.ofNanos(pong.get(10, TimeUnit.SECONDS) - start);
        } catch (ExecutionException e) {
            throw new IOException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("the agent did not answer a ping within 10 s");
        } finally {
            pings.remove(id);
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
                frame.checkFromAgent();
                if (frame.type() == Frame.PONG) {
                    CompletableFuture<Long> pong = pings.get(frame.id());
                    if (pong != null) {
                        pong.complete(System.nanoTime());
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

    /** Ends every pending call (processes and pings) with {@code cause}; later calls fail with it too. */
    private void failPending(Throwable cause) {
        failAll(cause instanceof IOException io ? io : new IOException(cause.getMessage(), cause));
    }

    /** Sets the guest's clock, reseeds its RNG and renames it (after a restore); contract, implemented by the snapshot work. */
    public void renew(Renewal renewal) throws IOException, InterruptedException {
        throw new UnsupportedOperationException("renew: not yet implemented");
    }

    /**
     * Fails every pending call (processes waited on, pings) with {@code cause} at once, and every
     * later one: for the host that learned the guest is gone (it crashed, its VM ended) before the
     * connection says so. The first failure a call sees is the one it keeps.
     */
    public void failAll(IOException cause) {
        failure = cause;
        processes.values().forEach(handle -> handle.connectionLost(cause));
        pings.values().forEach(pong -> pong.completeExceptionally(cause));
    }

    /** Closes the connection; processes still running in the guest are killed by the agent. */
    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // Closing is best effort.
        }
    }
}
