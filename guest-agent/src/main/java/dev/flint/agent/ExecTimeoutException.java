package dev.flint.agent;

import java.time.Duration;

/** A command ran past its timeout and was killed in the guest; the connection stays usable. */
public final class ExecTimeoutException extends Exception {
    private static final long serialVersionUID = 1L;
    private final transient ProcessResult partial;

    public ExecTimeoutException(String command, Duration timeout, ProcessResult partial) {
        super(command + " ran longer than " + timeout.toMillis() + " ms and was killed");
        this.partial = partial;
    }

    /** What the process wrote before it was killed. */
    public ProcessResult partial() {
        return partial;
    }
}
