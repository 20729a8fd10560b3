package dev.flint.machine;

/** A call that the machine's current state does not allow (see {@link MachineLifecycle}). */
public class MachineStateException extends FlintException {
    /** An error with {@code message}, which says what happened and what to do. */
    public MachineStateException(String message) {
        super(message);
    }
}
