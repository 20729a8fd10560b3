package dev.flint.machine;

/**
 * A machine's life. {@code STOPPED} after {@link Machine#define} and after a stop, a guest
 * power-off, a crash or its time to live ran out; {@code BOOTING} while {@link Machine#start}
 * waits for the agent; {@code RUNNING} while commands can run; {@code STOPPING} while the guest
 * powers off; {@code DELETED} once {@link Machine#delete()} or {@link Machine#close()} released it.
 * {@link MachineLifecycle} says which call is legal in which state.
 */
public enum MachineState {
    BOOTING,
    RUNNING,
    STOPPING,
    STOPPED,
    DELETED
}
