package dev.flint.machine;

/**
 * A machine's life: {@code BOOTING} until the agent answers, {@code RUNNING} while commands can
 * run, {@code STOPPED} after a power-off, a crash or {@link Machine#stop()}, {@code DELETED}
 * once {@link Machine#delete()} or {@link Machine#close()} released it.
 */
public enum MachineState {
    BOOTING,
    RUNNING,
    STOPPED,
    DELETED
}
