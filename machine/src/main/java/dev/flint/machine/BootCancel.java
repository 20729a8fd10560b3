package dev.flint.machine;

/**
 * Lets {@link LocalMachine#stop} or {@link LocalMachine#delete} cut a boot short from another
 * thread: the boot hands over how to stop its VM once the VM exists, and a cancel runs that at
 * once, or as soon as it is handed over. Stopping the VM ends the boot's wait for the agent.
 */
final class BootCancel {
    private Runnable stop;
    private String reason;

    /** Cancels the boot, saying why; the first reason is kept. */
    void cancel(String why) {
        Runnable current;
        synchronized (this) {
            if (reason == null) {
                reason = why;
            }
            current = stop;
        }
        if (current != null) {
            current.run();
        }
    }

    /** Called by the boot once its VM exists; runs {@code stopVm} at once when the boot was already cancelled. */
    void onCancel(Runnable stopVm) {
        boolean cancelled;
        synchronized (this) {
            stop = stopVm;
            cancelled = reason != null;
        }
        if (cancelled) {
            stopVm.run();
        }
    }

    /** Why the boot was cancelled, or null if it was not. */
    synchronized String reason() {
        return reason;
    }
}
