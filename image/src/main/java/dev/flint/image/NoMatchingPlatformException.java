package dev.flint.image;

/** An image index that has no linux/amd64 image; the message lists the platforms it does have. */
public final class NoMatchingPlatformException extends ImageException {
    public NoMatchingPlatformException(String message) {
        super(message);
    }

    public NoMatchingPlatformException(String message, Throwable cause) {
        super(message, cause);
    }
}
