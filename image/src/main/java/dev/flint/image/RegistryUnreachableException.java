package dev.flint.image;

/** The registry could not be reached (connect failures, timeouts, 5xx, 429) even after retries; the message names the host and what to check. */
public final class RegistryUnreachableException extends ImageException {
    public RegistryUnreachableException(String message) {
        super(message);
    }

    public RegistryUnreachableException(String message, Throwable cause) {
        super(message, cause);
    }
}
