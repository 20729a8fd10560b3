package dev.flint.machine;

/** The guest agent could not be reached or stopped answering; the message gives the reason. */
public final class AgentUnavailableException extends FlintException {
    public AgentUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
