package dev.flint.vmm.net;

import java.io.IOException;

/** libslirp ({@code libslirp.so.0}) cannot be loaded, so user-mode networking is not available on this host. */
public final class SlirpUnavailableException extends IOException {
    public SlirpUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
