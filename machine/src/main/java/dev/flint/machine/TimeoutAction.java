package dev.flint.machine;

/** What a machine's time to live ({@link MachineConfig.Builder#timeout}) does when it runs out. */
public enum TimeoutAction {
    /** Powers the guest off; the disk stays ({@link MachineState#STOPPED}). */
    STOP,
    /** Saves the running guest and releases its VM ({@link MachineState#PAUSED}); a command or {@link Machine#resume()} wakes it. */
    PAUSE
}
