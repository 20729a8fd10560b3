package dev.flint.machine;

/** No machine has that id or name (never created, or deleted); list the machines to see which exist. */
public final class MachineNotFoundException extends FlintException {
    /** An error with {@code message}, which says what happened and what to do. */
    public MachineNotFoundException(String message) {
        super(message);
    }

    static MachineNotFoundException of(String idOrName) {
        return new MachineNotFoundException("no machine with id or name '" + idOrName
                + "' (deleted, or never created); list the machines to see which exist");
    }
}
