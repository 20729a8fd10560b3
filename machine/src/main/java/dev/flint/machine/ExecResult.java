package dev.flint.machine;

import dev.flint.agent.ProcessResult;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * How a command in a machine ended: exit code (or the signal that killed it), stdout and stderr.
 */
public record ExecResult(List<String> command, int exitCode, int signal, byte[] stdoutBytes, byte[] stderrBytes) {
    static ExecResult of(List<String> command, ProcessResult result) {
        return new ExecResult(List.copyOf(command), result.exitCode(), result.signal(), result.stdout(), result.stderr());
    }

    public String stdout() {
        return new String(stdoutBytes, StandardCharsets.UTF_8);
    }

    public String stderr() {
        return new String(stderrBytes, StandardCharsets.UTF_8);
    }

    /** Exit code 0 and no signal. */
    public boolean success() {
        return exitCode == 0 && signal == 0;
    }

    /** Returns this result if the command succeeded, else throws with the command, its status and stderr. */
    public ExecResult assertSuccess() {
        if (!success()) {
            throw new CommandFailedException(this);
        }
        return this;
    }

    /** "exit code 3" or "killed by signal 9". */
    public String status() {
        return signal != 0 ? "killed by signal " + signal : "exit code " + exitCode;
    }
}
