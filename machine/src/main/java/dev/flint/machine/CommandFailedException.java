package dev.flint.machine;

/** {@link ExecResult#assertSuccess()} on a command that failed; the message has its stderr. */
public final class CommandFailedException extends FlintException {
    private final transient ExecResult result;

    public CommandFailedException(ExecResult result) {
        super(String.join(" ", result.command()) + " failed with " + result.status()
                + (result.stderr().isBlank() ? "" : "; stderr:\n" + result.stderr().strip()));
        this.result = result;
    }

    public ExecResult result() {
        return result;
    }
}
