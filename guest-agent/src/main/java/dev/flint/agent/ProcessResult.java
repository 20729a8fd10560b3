package dev.flint.agent;

import java.nio.charset.StandardCharsets;

/**
 * How a guest process ended: its exit code, or the signal that killed it (exit code -1), and
 * everything it wrote.
 */
public record ProcessResult(int exitCode, int signal, byte[] stdout, byte[] stderr) {
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
