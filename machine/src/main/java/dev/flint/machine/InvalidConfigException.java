package dev.flint.machine;

/** A {@link MachineConfig} or exec option is invalid; nothing was created. */
public final class InvalidConfigException extends FlintException {
    public InvalidConfigException(String message) {
        super(message);
    }
}
