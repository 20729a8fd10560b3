package dev.flint.image;

/** The registry refused access (401/403) even after authenticating; credentials are missing, wrong, or the repository does not exist. */
public final class RegistryDeniedException extends ImageException {
    public RegistryDeniedException(String message) {
        super(message);
    }

    public RegistryDeniedException(String message, Throwable cause) {
        super(message, cause);
    }
}
