package dev.flint.machine;

/** The guest agent could not be reached or stopped answering; the message gives the reason. */
public final class AgentUnavailableException extends FlintException {
    /** An error with {@code message}, which says what happened and what to do, caused by {@code cause}. */
    public AgentUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
