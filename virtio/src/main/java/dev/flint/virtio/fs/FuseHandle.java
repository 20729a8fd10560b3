package dev.flint.virtio.fs;

import dev.flint.vmm.sys.ErrnoException;

/** A file handle ({@code fh}) a share gave the guest: a file or a directory, never reused. */
interface FuseHandle {
    boolean directory();

    /** EMFILE for {@code operation} when a share holding {@code open} handles is at its cap of {@code max}. */
    static void requireRoom(String operation, int open, int max) throws ErrnoException {
        if (open >= max) {
            throw new ErrnoException(operation + ": the guest already holds " + max
                    + " open handles on this share; it must release some first", FuseErrno.EMFILE);
        }
    }

    /**
     * {@code handle} as the table found it for {@code fh}; EBADF when it is not open, or is a file
     * where a directory was expected (or the reverse).
     */
    static <H extends FuseHandle> H checked(H handle, long fh, boolean directory) throws ErrnoException {
        if (handle == null) {
            throw new ErrnoException("file handle " + fh + " is not open", FuseErrno.EBADF);
        }
        if (handle.directory() != directory) {
            throw new ErrnoException("file handle " + fh + " is " + (handle.directory() ? "a directory" : "a file")
                    + ", not " + (directory ? "a directory" : "a file"), FuseErrno.EBADF);
        }
        return handle;
    }
}
