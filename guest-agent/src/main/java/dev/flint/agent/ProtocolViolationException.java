package dev.flint.agent;

import java.io.IOException;

/**
 * The agent sent something the protocol does not allow (a frame of a type it never sends, a
 * payload of the wrong length): the connection cannot be trusted and is closed, and every call
 * pending on it fails with this.
 */
public final class ProtocolViolationException extends IOException {
    private static final long serialVersionUID = 1L;

    public ProtocolViolationException(String message) {
        super("protocol violation from the agent: " + message);
    }
}
