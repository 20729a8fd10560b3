package dev.flint.machine;

/** A {@link MachineConfig} or exec option is invalid; nothing was created. */
public final class InvalidConfigException extends FlintException {
    /** An error with {@code message}, which says what happened and what to do. */
    public InvalidConfigException(String message) {
        super(message);
    }
}
