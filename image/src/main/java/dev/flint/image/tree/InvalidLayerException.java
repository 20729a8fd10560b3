package dev.flint.image.tree;

import dev.flint.image.ImageException;

/** A layer tar is not one Flint can read: truncated, corrupt, or using a tar feature it does not support. */
public final class InvalidLayerException extends ImageException {
    public InvalidLayerException(String message) {
        super(message);
    }

    public InvalidLayerException(String message, Throwable cause) {
        super(message, cause);
    }
}
