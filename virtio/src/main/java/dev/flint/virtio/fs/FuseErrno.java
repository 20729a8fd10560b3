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
    static final int EXDEV = Errno.EXDEV;
    static final int ENOTDIR = Errno.ENOTDIR;
    static final int EISDIR = Errno.EISDIR;
    static final int EINVAL = Errno.EINVAL;
    static final int EROFS = Errno.EROFS;
    static final int ERANGE = 34;
    static final int ENAMETOOLONG = Errno.ENAMETOOLONG;
    static final int ENOSYS = Errno.ENOSYS;
    static final int ENOTEMPTY = Errno.ENOTEMPTY;
    static final int ELOOP = Errno.ELOOP;
    static final int EPROTO = 71;
    static final int EOPNOTSUPP = Errno.EOPNOTSUPP;
    static final int ENODATA = Errno.ENODATA;
    static final int ENFILE = Errno.ENFILE;
    static final int EMFILE = Errno.EMFILE;
    static final int E2BIG = Errno.E2BIG;

    private FuseErrno() {
    }
}
