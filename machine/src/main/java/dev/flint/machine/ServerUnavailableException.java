package dev.flint.machine;

/** The Flint server could not be reached, or refused the token; the message names the server and what to check. */
public final class ServerUnavailableException extends FlintException {
    /** An error with {@code message}, which says what happened and what to do, caused by {@code cause}. */
    public ServerUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
