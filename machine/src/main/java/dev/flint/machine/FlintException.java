package dev.flint.machine;

/** Base of every error the machine API throws; the message says what happened and what to do. */
public class FlintException extends RuntimeException {
    /** An error with {@code message}, which says what happened and what to do. */
    public FlintException(String message) {
        super(message);
    }

    /** An error with {@code message}, which says what happened and what to do, caused by {@code cause}. */
    public FlintException(String message, Throwable cause) {
        super(message, cause);
    }
}
