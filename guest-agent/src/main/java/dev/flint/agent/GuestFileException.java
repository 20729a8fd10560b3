package dev.flint.agent;

import java.nio.file.FileSystemException;

/**
 * A file request the agent refused with an errno that has no closer Java type: ENOTDIR (not a
 * directory), EISDIR (is a directory), ENOSPC (no space left), ENOTEMPTY... The message is the
 * agent's, {@code create /data/x: No space left on device}.
 */
public final class GuestFileException extends FileSystemException {
    private final int errno;
    private final String errnoName;

    public GuestFileException(String path, int errno, String errnoName, String message) {
        super(path, null, message);
        this.errno = errno;
        this.errnoName = errnoName;
    }

    public int errno() {
        return errno;
    }

    /** {@code ENOTDIR}; empty when the agent did not know it. */
    public String errnoName() {
        return errnoName;
    }

    @Override
    public String getMessage() {
        return getReason() + (errnoName.isEmpty() ? "" : " (" + errnoName + ")");
    }
}
