package dev.flint.machine;

import java.time.Duration;
import java.util.List;

/** A command ran past its timeout; it was killed in the guest and the machine stays usable. */
public final class ExecTimeoutException extends FlintException {
    /** The error for {@code command}, killed after {@code timeout}; {@code cause} is how the wait ended. */
    public ExecTimeoutException(List<String> command, Duration timeout, Throwable cause) {
        super(String.join(" ", command) + " ran longer than " + timeout.toMillis()
                + " ms and was killed; the machine is still running", cause);
    }

    /** As reported by a server: its message as it was. */
    public ExecTimeoutException(String message) {
        super(message);
    }
}
