package dev.flint.machine;

/** No snapshot has that name (never taken, or deleted); {@link Snapshots#list} shows which exist. */
public final class SnapshotNotFoundException extends FlintException {
    /** An error with {@code message}, which says what happened and what to do. */
    public SnapshotNotFoundException(String message) {
        super(message);
    }

    /** The error for snapshot {@code name}, saying how to see which exist. */
    public static SnapshotNotFoundException of(String name) {
        return new SnapshotNotFoundException("no snapshot named '" + name + "' (deleted, or never taken);"
                + " list the snapshots to see which exist");
    }
}
