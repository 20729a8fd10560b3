package dev.flint.machine;

/** This host cannot run machines (no KVM, no permission, PVM); the message says how to fix it. */
public final class HostUnsupportedException extends FlintException {
    /** An error with {@code message}, which says what happened and what to do, caused by {@code cause}. */
    public HostUnsupportedException(String message, Throwable cause) {
        super(message, cause);
    }
}
