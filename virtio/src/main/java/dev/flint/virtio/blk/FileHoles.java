package dev.flint.virtio.blk;

import dev.flint.vmm.sys.Errno;
import dev.flint.vmm.sys.Libc;
import dev.flint.vmm.sys.LibcFs;

import java.io.IOException;
import java.nio.file.Path;
import java.util.logging.Logger;

/**
 * Zeroes byte ranges of an image file without writing zeros, through {@code fallocate(2)}: a
 * hole that frees the space ({@code PUNCH_HOLE}), or zeroes that keep it allocated
 * ({@code ZERO_RANGE}), the file's size unchanged either way. A file system that lacks a mode
 * (EOPNOTSUPP: ZERO_RANGE on tmpfs, both on some network file systems) is logged once, and from
 * then on {@link #zero} answers false so that the caller writes zeros itself. Holds its own fd
 * on the file: FileChannel neither offers fallocate's modes nor hands out its fd.
 */
final class FileHoles implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(FileHoles.class.getName());

    /** The {@code fallocate} call: 0 or {@code -errno}. Tests give one that fails. */
    @FunctionalInterface
    interface Fallocate {
        int call(int fd, int mode, long offset, long length);
    }

    private final int fd;
    private final Path file;
    private final Fallocate fallocate;
    private boolean punchWorks = true;
    private boolean zeroRangeWorks = true;

    FileHoles(int fd, Path file, Fallocate fallocate) {
        this.fd = fd;
        this.file = file;
        this.fallocate = fallocate;
    }

    /** Opens {@code file} for writing, for fallocate only. */
    static FileHoles open(Path file) throws IOException {
        int fd = LibcFs.openat(LibcFs.AT_FDCWD, file.toString(), LibcFs.O_RDWR | LibcFs.O_CLOEXEC, 0);
        if (fd < 0) {
            throw new IOException("cannot open " + file + " to free its zeroed ranges: " + Errno.name(-fd));
        }
        return new FileHoles(fd, file, LibcFs::fallocate);
    }

    /**
     * Makes {@code [offset, offset + length)} read as zeros, freeing its space when
     * {@code deallocate}; false when the file system cannot, so the caller writes zeros.
     *
     * @throws IOException when the file system can but failed (EIO, ENOSPC for ZERO_RANGE)
     */
    synchronized boolean zero(long offset, long length, boolean deallocate) throws IOException {
        if (length == 0) {
            return true;
        }
        if (!(deallocate ? punchWorks : zeroRangeWorks)) {
            return false;
        }
        int mode = deallocate ? LibcFs.FALLOC_FL_PUNCH_HOLE | LibcFs.FALLOC_FL_KEEP_SIZE
                : LibcFs.FALLOC_FL_ZERO_RANGE | LibcFs.FALLOC_FL_KEEP_SIZE;
        String name = deallocate ? "PUNCH_HOLE" : "ZERO_RANGE";
        int rc;
        do {
            rc = fallocate.call(fd, mode, offset, length);
        } while (rc == -Errno.EINTR);
        if (rc == -Errno.EOPNOTSUPP || rc == -Errno.ENOSYS) {
            if (deallocate) {
                punchWorks = false;
            } else {
                zeroRangeWorks = false;
            }
            LOG.info("the file system of " + file + " has no fallocate " + name + " (" + Errno.name(-rc)
                    + "); zeroed ranges are written as zeros instead");
            return false;
        }
        if (rc < 0) {
            throw new IOException("fallocate " + name + " of " + length + " bytes at " + offset + " in " + file
                    + " failed: " + Errno.name(-rc));
        }
        return true;
    }

    @Override
    public synchronized void close() {
        Libc.close(fd);
    }
}
