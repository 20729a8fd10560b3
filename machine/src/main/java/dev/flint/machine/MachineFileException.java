package dev.flint.machine;

/**
 * A file request the guest refused: {@link #errnoName()} says why (ENOENT: no such file,
 * ENOTDIR: not a directory, EISDIR: is a directory, EACCES: permission denied, ENOSPC: no
 * space left, EEXIST, ENOTEMPTY...), the message is the guest's ({@code open /etc/nope: No such
 * file or directory}) with the machine's name.
 */
public final class MachineFileException extends FlintException {
    /** The guest path the failure concerned. */
    private final String path;
    /** The errno's name, e.g. {@code ENOENT}; empty when unknown. */
    private final String errnoName;

    /** The guest's refusal of a request on {@code path} with errno {@code errnoName} ({@code ENOENT}...; empty when unknown). */
    public MachineFileException(String message, String path, String errnoName, Throwable cause) {
        super(message, cause);
        this.path = path;
        this.errnoName = errnoName;
    }

    /** The guest path the failure concerned. */
    public String path() {
        return path;
    }

    /** {@code ENOENT}, {@code EACCES}...; empty when unknown. */
    public String errnoName() {
        return errnoName;
    }
}
