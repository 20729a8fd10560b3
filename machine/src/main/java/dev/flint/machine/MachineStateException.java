package dev.flint.machine;

/** A call that the machine's current state does not allow (see {@link MachineLifecycle}). */
public class MachineStateException extends FlintException {
    public MachineStateException(String message) {
        super(message);
    }
}
