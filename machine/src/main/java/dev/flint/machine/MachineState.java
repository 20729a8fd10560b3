package dev.flint.machine;

/**
 * A machine's life. {@code STOPPED} after {@link Machine#define} and after a stop, a guest
 * power-off, a crash or its time to live ran out; {@code BOOTING} while {@link Machine#start}
 * waits for the agent; {@code RUNNING} while commands can run; {@code STOPPING} while the guest
 * powers off; {@code PAUSED} after {@link Machine#pause()}: the VM's memory and devices saved under
 * the machine's directory and its VM released, until {@link Machine#resume()} (or a command, or
 * {@link Machine#connect}) restores it; {@code DELETED} once {@link Machine#delete()} or
 * {@link Machine#close()} released it.
 * {@link MachineLifecycle} says which call is legal in which state.
 */
public enum MachineState {
    /** Started, waiting for the guest's agent to answer. */
    BOOTING,
    /** The agent answered: commands and file calls run. */
    RUNNING,
    /** The guest is powering off. */
    STOPPING,
    /** No VM runs; the disk is kept and {@link Machine#start()} boots it again. */
    STOPPED,
    /** Saved to the machine's directory with its VM released, until resumed. */
    PAUSED,
    /** Released for good by {@link Machine#delete()} (or {@link Machine#close()} of the handle that made it). */
    DELETED
}
