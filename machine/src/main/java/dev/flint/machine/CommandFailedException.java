package dev.flint.machine;

/** {@link ExecResult#assertSuccess()} on a command that failed; the message has its stderr. */
public final class CommandFailedException extends FlintException {
    private final transient ExecResult result;

    /** The error for {@code result}, a command that failed: its message has the command, its status and stderr. */
    public CommandFailedException(ExecResult result) {
        super(String.join(" ", result.command()) + " failed with " + result.status()
                + (result.stderr().isBlank() ? "" : "; stderr:\n" + result.stderr().strip()));
        this.result = result;
    }

    /** The failed command's result, output included (not kept when the exception is serialized). */
    public ExecResult result() {
        return result;
    }
}
