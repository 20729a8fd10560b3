package dev.flint.machine;

/** This host cannot run machines (no KVM, no permission, PVM); the message says how to fix it. */
public final class HostUnsupportedException extends FlintException {
    public HostUnsupportedException(String message, Throwable cause) {
        super(message, cause);
    }
}
