package dev.flint.machine;

/** The Flint server could not be reached, or refused the token; the message names the server and what to check. */
public final class ServerUnavailableException extends FlintException {
    public ServerUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
