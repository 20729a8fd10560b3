package dev.flint.machine;

import dev.flint.agent.ExecHandle;
import dev.flint.agent.TerminalSize;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;

/**
 * A command running on a pseudo-terminal in a machine ({@link Machine#openTerminal}), as
 * {@code docker exec -it} gives: what is {@link #write written} is typed (Ctrl-C, byte 3,
 * interrupts its foreground job), its output arrives as one stream, {@link #resize} changes the
 * size it reads. {@link #close()} hangs it up (SIGHUP) if it still runs.
 *
 * <pre>{@code
 * try (TerminalSession shell = m.openTerminal(List.of("/bin/sh", "-l"), ExecOptions.DEFAULT, 24, 80, System.out::writeBytes)) {
 *     shell.write("ls /\nexit\n".getBytes());
 *     int code = shell.waitFor().exitCode();
 * }
 * }</pre>
 */
public final class TerminalSession implements AutoCloseable {
    /** What a session drives: a process on a terminal in this JVM's machine, or in a server's. */
    interface Channel {
        void write(byte[] bytes);

        void resize(TerminalSize size);

        /** The result once the command has ended within {@code timeout}, else empty. */
        java.util.Optional<ExecResult> waitFor(Duration timeout);

        /** Hangs the terminal up: SIGHUP to its process group. */
        void hangUp();
    }

    private final Channel channel;

    TerminalSession(Channel channel) {
        this.channel = channel;
    }

    /** A session on {@code handle}, a process the agent started on a terminal. */
    static TerminalSession of(List<String> argv, ExecHandle handle, Function<IOException, RuntimeException> agentFailure) {
        return new TerminalSession(new Channel() {
            @Override
            public void write(byte[] bytes) {
                try {
                    handle.writeStdin(bytes);
                } catch (IOException e) {
                    throw agentFailure.apply(e);
                }
            }

            @Override
            public void resize(TerminalSize size) {
                try {
                    handle.resize(size);
                } catch (IOException e) {
                    throw agentFailure.apply(e);
                }
            }

            @Override
            public java.util.Optional<ExecResult> waitFor(Duration timeout) {
                try {
                    return java.util.Optional.ofNullable(handle.waitFor(timeout)).map(r -> ExecResult.of(argv, r));
                } catch (IOException e) {
                    throw agentFailure.apply(e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new FlintException("interrupted while waiting for " + argv, e);
                }
            }

            @Override
            public void hangUp() {
                try {
                    handle.kill(SIGHUP);
                } catch (IOException e) {
                    // the agent is gone, and the command with it
                }
            }
        });
    }

    private static final int SIGHUP = 1;

    /** Types {@code bytes} into the terminal. */
    public void write(byte[] bytes) {
        channel.write(bytes.clone());
    }

    /** Sets the terminal's size; the command gets SIGWINCH. */
    public void resize(int rows, int columns) {
        channel.resize(size(rows, columns));
    }

    /** Waits for the command to end; its output went to the session's consumer, so the result carries none. */
    public ExecResult waitFor() {
        return waitFor(Duration.ofDays(365)).orElseThrow();
    }

    /** Waits up to {@code timeout}; empty if it still runs then. */
    public java.util.Optional<ExecResult> waitFor(Duration timeout) {
        return channel.waitFor(timeout);
    }

    /** Hangs the terminal up (SIGHUP to its process group) unless the command has ended. */
    @Override
    public void close() {
        if (waitFor(Duration.ZERO).isEmpty()) {
            channel.hangUp();
        }
    }

    static TerminalSize size(int rows, int columns) {
        try {
            return new TerminalSize(rows, columns);
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigException(e.getMessage());
        }
    }
}
