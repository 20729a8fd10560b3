package dev.flint.machine;

import dev.flint.agent.ProcessResult;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * How a command in a machine ended: exit code (or the signal that killed it), stdout and stderr;
 * {@code truncated} when stdout or stderr went past {@link ExecOptions#maxOutputBytes()} and
 * only its first bytes were kept.
 *
 * <pre>{@code
 * ExecResult r = m.exec(List.of("sh", "-c", "echo hi; exit 3"));
 * r.stdout();       // "hi\n"
 * r.exitCode();     // 3
 * r.success();      // false
 * r.status();       // "exit code 3"
 * m.exec(List.of("test", "-d", "/workspace")).assertSuccess();   // or CommandFailedException
 * // output as it comes, on a reader thread; the result then has the status and no output:
 * m.exec(List.of("make"), ExecOptions.DEFAULT, System.out::writeBytes, System.err::writeBytes);
 * }</pre>
 */
public record ExecResult(List<String> command, int exitCode, int signal, byte[] stdoutBytes, byte[] stderrBytes,
                         boolean truncated) {
    /** A result with all of its output. */
    public ExecResult(List<String> command, int exitCode, int signal, byte[] stdoutBytes, byte[] stderrBytes) {
        this(command, exitCode, signal, stdoutBytes, stderrBytes, false);
    }

    static ExecResult of(List<String> command, ProcessResult result) {
        return new ExecResult(List.copyOf(command), result.exitCode(), result.signal(), result.stdout(), result.stderr(),
                result.truncated());
    }

    /** The command's stdout as UTF-8 text (bytes that are not UTF-8 become U+FFFD). */
    public String stdout() {
        return new String(stdoutBytes, StandardCharsets.UTF_8);
    }

    /** The command's stderr as UTF-8 text (bytes that are not UTF-8 become U+FFFD). */
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
