package dev.flint.image;

/** The registry has no such repository or tag, or the store lacks the image and the pull policy forbids the network. */
public final class ImageNotFoundException extends ImageException {
    public ImageNotFoundException(String message) {
        super(message);
    }

    public ImageNotFoundException(String message, Throwable cause) {
        super(message, cause);
    }
}
