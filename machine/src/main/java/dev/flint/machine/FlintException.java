package dev.flint.machine;

/** Base of every error the machine API throws; the message says what happened and what to do. */
public class FlintException extends RuntimeException {
    public FlintException(String message) {
        super(message);
    }

    public FlintException(String message, Throwable cause) {
        super(message, cause);
    }
}
