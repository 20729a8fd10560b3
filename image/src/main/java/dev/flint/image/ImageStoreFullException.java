package dev.flint.image;

/** The disk under the image store ran out of space while writing; the partial file is removed. Free space or prune. */
public final class ImageStoreFullException extends ImageException {
    public ImageStoreFullException(String message) {
        super(message);
    }

    public ImageStoreFullException(String message, Throwable cause) {
        super(message, cause);
    }
}
