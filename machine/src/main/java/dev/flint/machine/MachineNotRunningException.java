package dev.flint.machine;

/** The machine was asked to do something that needs it running, but it is not. */
public final class MachineNotRunningException extends MachineStateException {
    /** An error with {@code message}, which says what happened and what to do. */
    public MachineNotRunningException(String message) {
        super(message);
    }

    /** Metrics read by id ({@link Machine#metrics(String, ConnectOptions)}) of a machine that is paused. */
    public static MachineNotRunningException pausedMetrics(String machine) {
        return new MachineNotRunningException("machine " + machine + " is paused, and reading its metrics by id does"
                + " not wake it; its counters start again when it resumes (resume() it, or exec in it)");
    }
}
