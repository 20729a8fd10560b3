package dev.flint.image;

/**
 * Something went wrong with an image: its reference, its registry, its content or the store.
 * Each subclass is one cause a caller may want to tell apart; every message says what happened
 * and what to do.
 */
public class ImageException extends RuntimeException {
    public ImageException(String message) {
        super(message);
    }

    public ImageException(String message, Throwable cause) {
        super(message, cause);
    }
}
