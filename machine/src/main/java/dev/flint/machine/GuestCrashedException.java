package dev.flint.machine;

/**
 * The machine's guest crashed (a kernel panic, a triple fault, a reset its agent did not announce)
 * while a call waited on it: every pending call on the machine fails with this at once. The
 * message says what crashed it and ends with the guest's last console lines; the machine is
 * stopped (its {@link MachineInfo#crashed()} is true) and can be started again.
 */
public final class GuestCrashedException extends FlintException {
    /** An error with {@code message}, which says what happened and what to do. */
    public GuestCrashedException(String message) {
        super(message);
    }

    /** An error with {@code message}, which says what happened and what to do, caused by {@code cause}. */
    public GuestCrashedException(String message, Throwable cause) {
        super(message, cause);
    }
}
