package dev.flint.image.config;

import dev.flint.image.ImageException;

/** The image config, or what the caller asked for on top of it, does not make a command Flint can run. */
public final class InvalidImageConfigException extends ImageException {
    public InvalidImageConfigException(String message) {
        super(message);
    }

    public InvalidImageConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
