package dev.flint.machine;

/** The machine was asked to do something that needs it running, but it is not. */
public final class MachineNotRunningException extends MachineStateException {
    public MachineNotRunningException(String message) {
        super(message);
    }
}
