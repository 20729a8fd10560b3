package dev.flint.virtio.fs;

import dev.flint.vmm.sys.Errno;

/**
 * The errno values (Linux x86-64) the FUSE server answers with. Re-exports the ones
 * {@link Errno} already names and adds the file-system ones it does not.
 */
final class FuseErrno {
    static final int EPERM = Errno.EPERM;
    static final int ENOENT = Errno.ENOENT;
    static final int EIO = Errno.EIO;
    static final int EBADF = Errno.EBADF;
    static final int EACCES = Errno.EACCES;
    static final int EEXIST = Errno.EEXIST;
    static final int EXDEV = 18;
    static final int ENOTDIR = 20;
    static final int EISDIR = 21;
    static final int EINVAL = Errno.EINVAL;
    static final int EROFS = 30;
    static final int ERANGE = 34;
    static final int ENAMETOOLONG = 36;
    static final int ENOSYS = Errno.ENOSYS;
    static final int ENOTEMPTY = 39;
    static final int ELOOP = 40;
    static final int EPROTO = 71;
    static final int EOPNOTSUPP = Errno.EOPNOTSUPP;

    private FuseErrno() {
    }
}
