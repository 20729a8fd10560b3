package dev.flint.vmm;

/** A VM could not be created or booted; the message says what failed and what to do. */
public class VmmException extends Exception {
    public VmmException(String message) {
        super(message);
    }

    public VmmException(String message, Throwable cause) {
        super(message, cause);
    }
}
