package dev.flint.agent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** A process running in the guest: feed its stdin, kill it, wait for it. */
public final class ExecHandle {
    private final AgentClient client;
    private final int id;
    private final OutputListener listener;
    /** Null when the output is only streamed to the listener. */
    private final BoundedOutput stdout;
    private final BoundedOutput stderr;
    final CompletableFuture<Integer> started = new CompletableFuture<>();
    final CompletableFuture<ProcessResult> exited = new CompletableFuture<>();

    /** {@code maxOutput}: bytes kept of each stream, 0 to keep none. */
    ExecHandle(AgentClient client, int id, OutputListener listener, int maxOutput) {
        this.client = client;
        this.id = id;
        this.listener = listener;
        this.stdout = maxOutput > 0 ? new BoundedOutput(maxOutput) : null;
        this.stderr = maxOutput > 0 ? new BoundedOutput(maxOutput) : null;
    }

    /** The process id in the guest. */
    public int pid() throws IOException, InterruptedException {
        return await(started);
    }

    public void writeStdin(byte[] bytes) throws IOException {
        for (int at = 0; at < bytes.length; at += Frame.MAX_PAYLOAD) {
            int n = Math.min(Frame.MAX_PAYLOAD, bytes.length - at);
            client.send(new Frame(Frame.STDIN, id, java.util.Arrays.copyOfRange(bytes, at, at + n)));
        }
    }

    public void closeStdin() throws IOException {
        client.send(new Frame(Frame.STDIN_CLOSE, id, new byte[0]));
    }

    /** Sets the size of the process's terminal (an exec on one, {@link ExecRequest.Builder#terminal}); it gets SIGWINCH. */
    public void resize(TerminalSize size) throws IOException {
        client.send(new Frame(Frame.RESIZE, id, ByteBuffer.allocate(8).putInt(size.rows()).putInt(size.columns()).array()));
    }

    /** Sends {@code signal} to the process's group (it runs in its own session). */
    public void kill(int signal) throws IOException {
        client.send(new Frame(Frame.KILL, id, ByteBuffer.allocate(4).putInt(signal).array()));
    }

    /** Waits for the process to end; null if it is still running after {@code timeout}. */
    public ProcessResult waitFor(Duration timeout) throws IOException, InterruptedException {
        try {
            return exited.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            return null;
        } catch (ExecutionException e) {
            throw asIo(e.getCause());
        }
    }

    /** Output so far, for a process that is being given up on. */
    ProcessResult partial() {
        return result(-1, 0);
    }

    private ProcessResult result(int code, int signal) {
        if (stdout == null) {
            return new ProcessResult(code, signal, new byte[0], new byte[0]);
        }
        return new ProcessResult(code, signal, stdout.toByteArray(), stderr.toByteArray(),
                stdout.truncated() || stderr.truncated());
    }

    /** A frame for this process, its length already checked ({@link Frame#checkFromAgent}). */
    void onFrame(Frame frame) throws ProtocolViolationException {
        switch (frame.type()) {
            case Frame.STARTED -> started.complete(ByteBuffer.wrap(frame.payload()).getInt());
            case Frame.EXEC_FAILED -> {
                ExecFailedException failure = ExecFailedException.decode(frame.payload());
                started.completeExceptionally(failure);
                exited.completeExceptionally(failure);
            }
            case Frame.STDOUT -> output(frame.payload(), true);
            case Frame.STDERR -> output(frame.payload(), false);
            case Frame.EXIT -> {
                ByteBuffer payload = ByteBuffer.wrap(frame.payload());
                int code = payload.getInt();
                int signal = payload.getInt();
                exited.complete(result(code, signal));
            }
            default -> {
                // Frames for other purposes do not concern a process.
            }
        }
    }

    private void output(byte[] chunk, boolean isStdout) {
        if (stdout != null) {
            (isStdout ? stdout : stderr).write(chunk);
        }
        if (isStdout) {
            listener.stdout(chunk);
        } else {
            listener.stderr(chunk);
        }
    }

    void connectionLost(IOException cause) {
        started.completeExceptionally(cause);
        exited.completeExceptionally(cause);
    }

    private static <T> T await(CompletableFuture<T> future) throws IOException, InterruptedException {
        try {
            return future.get();
        } catch (ExecutionException e) {
            throw asIo(e.getCause());
        }
    }

    private static IOException asIo(Throwable cause) {
        return cause instanceof IOException io ? io : new IOException(cause.getMessage(), cause);
    }
}
