package dev.flint.agent;

import java.nio.charset.StandardCharsets;

/**
 * How a guest process ended: its exit code, or the signal that killed it (exit code -1), and
 * what it wrote; {@code truncated} when stdout or stderr went past the collecting cap
 * ({@link AgentClient#exec(ExecRequest, int)}) and the rest of it was dropped.
 */
public record ProcessResult(int exitCode, int signal, byte[] stdout, byte[] stderr, boolean truncated) {
    /** A result with all of its output. */
    public ProcessResult(int exitCode, int signal, byte[] stdout, byte[] stderr) {
        this(exitCode, signal, stdout, stderr, false);
    }

    public boolean success() {
        return signal == 0 && exitCode == 0;
    }

    public String stdoutText() {
        return new String(stdout, StandardCharsets.UTF_8);
    }

    public String stderrText() {
        return new String(stderr, StandardCharsets.UTF_8);
    }
}
