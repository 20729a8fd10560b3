package dev.flint.image;

/** An image reference that is not {@code [host[:port]/]name[:tag][@sha256:hex]}; the message names the part that is wrong. */
public final class InvalidReferenceException extends ImageException {
    public InvalidReferenceException(String message) {
        super(message);
    }

    public InvalidReferenceException(String message, Throwable cause) {
        super(message, cause);
    }
}
