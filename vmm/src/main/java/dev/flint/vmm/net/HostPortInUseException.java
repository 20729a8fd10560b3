package dev.flint.vmm.net;

import java.io.IOException;

/** A port forward could not listen because another socket already holds the host port. */
public final class HostPortInUseException extends IOException {
    public HostPortInUseException(String message) {
        super(message);
    }
}
