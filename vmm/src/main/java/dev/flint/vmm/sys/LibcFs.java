package dev.flint.vmm.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The file-system calls a passthrough file server needs, through the FFM API: the {@code *at}
 * family relative to directory fds, {@code O_PATH} opens, positional I/O, {@code getdents64}.
 * Same conventions as {@link Libc}, and the same one {@link Syscall} handle: each method returns
 * the result or {@code -errno}, and path arguments are passed as C strings allocated for the call.
 *
 * <p>{@code pread}/{@code pwrite} take guest memory directly. Guest RAM is native memory and
 * goes through {@link Syscall}; heap segments (tests' guest memory) can only be handed to a
 * {@code critical} downcall, so those take libc bindings of their own with heap access allowed.
 */
public final class LibcFs {
    public static final int O_ACCMODE = 3;
    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    public static final int O_CREAT = 0x40;
    public static final int O_EXCL = 0x80;
    public static final int O_NOCTTY = 0x100;
    public static final int O_TRUNC = 0x200;
    public static final int O_APPEND = 0x400;
    public static final int O_NONBLOCK = 0x800;
    public static final int O_DSYNC = 0x1000;
    public static final int O_DIRECT = 0x4000;
    public static final int O_LARGEFILE = 0x8000;
    public static final int O_DIRECTORY = 0x10000;
    public static final int O_NOFOLLOW = 0x20000;
    public static final int O_NOATIME = 0x40000;
    public static final int O_CLOEXEC = 0x80000;
    public static final int O_SYNC = 0x101000;
    public static final int O_PATH = 0x200000;
    public static final int O_TMPFILE = 0x410000;

    public static final int AT_FDCWD = -100;
    public static final int AT_SYMLINK_NOFOLLOW = 0x100;
    public static final int AT_REMOVEDIR = 0x200;
    public static final int AT_EACCESS = 0x200;
    public static final int AT_SYMLINK_FOLLOW = 0x400;
    public static final int AT_EMPTY_PATH = 0x1000;

    public static final int RENAME_NOREPLACE = 1;
    public static final int RENAME_EXCHANGE = 2;
    public static final int RENAME_WHITEOUT = 4;

    /** {@code timespec.tv_nsec} values that mean "now" and "leave alone" to utimensat. */
    public static final long UTIME_NOW = (1L << 30) - 1;
    public static final long UTIME_OMIT = (1L << 30) - 2;

    public static final int SEEK_SET = 0;
    public static final int SEEK_CUR = 1;
    public static final int SEEK_END = 2;
    public static final int SEEK_DATA = 3;
    public static final int SEEK_HOLE = 4;

    public static final int F_OK = 0;
    public static final int X_OK = 1;
    public static final int W_OK = 2;
    public static final int R_OK = 4;

    /** {@code fallocate} modes: keep the file's size, free the range (a hole), zero it in place. */
    public static final int FALLOC_FL_KEEP_SIZE = 0x01;
    public static final int FALLOC_FL_PUNCH_HOLE = 0x02;
    public static final int FALLOC_FL_ZERO_RANGE = 0x10;

    /**
     * pread and pwrite on heap segments (tests' guest memory), which only a {@code critical}
     * downcall may take; made on first use, as a machine's guest memory is native and goes
     * through {@link Syscall}.
     */
    private static final class HeapIo {
        private static final FunctionDescriptor SHAPE = FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG);
        static final MethodHandle PREAD = bind("pread");
        static final MethodHandle PWRITE = bind("pwrite");

        private static MethodHandle bind(String name) {
            MemorySegment symbol = Syscall.LINKER.defaultLookup().find(name)
                    .orElseThrow(() -> new UnsatisfiedLinkError("libc has no symbol " + name));
            return Syscall.LINKER.downcallHandle(symbol, SHAPE, Syscall.CAPTURE_ERRNO, Linker.Option.critical(true));
        }

        static long call(MethodHandle handle, int fd, MemorySegment buffer, long offset) {
            MemorySegment state = Syscall.callState();
            long rc;
            try {
                rc = (long) handle.invokeExact(state, fd, buffer, buffer.byteSize(), offset);
            } catch (Throwable t) {
                throw new IllegalStateException("native call pread/pwrite could not be made: " + t, t);
            }
            return Syscall.result(rc, state);
        }
    }

    private LibcFs() {
    }

    /** {@code openat(dirfd, path, flags, mode)}: a file descriptor or {@code -errno}. */
    public static int openat(int dirFd, String path, int flags, int mode) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) Syscall.call(Syscall.OPENAT, dirFd, Syscall.path(arena, path), flags, mode);
        }
    }

    /** {@code fstatat(dirfd, path, stat, flags)} into a {@link Stat#LAYOUT} segment: 0 or {@code -errno}. */
    public static int fstatat(int dirFd, String path, MemorySegment stat, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) Syscall.call(Syscall.NEWFSTATAT, dirFd, Syscall.path(arena, path), Syscall.address(stat), flags);
        }
    }

    /** {@code fstatfs(fd, statfs)} into a {@link StatFs#LAYOUT} segment: 0 or {@code -errno}. */
    public static int fstatfs(int fd, MemorySegment statfs) {
        return (int) Syscall.call(Syscall.FSTATFS, fd, Syscall.address(statfs));
    }

    /** {@code mkdirat(dirfd, path, mode)}: 0 or {@code -errno}. */
    public static int mkdirat(int dirFd, String path, int mode) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) Syscall.call(Syscall.MKDIRAT, dirFd, Syscall.path(arena, path), mode);
        }
    }

    /**
     * {@code mknodat(dirfd, path, mode, dev)}: 0 or {@code -errno}. The kernel takes a 32-bit
     * device number; a larger one is {@code -EINVAL}, as from glibc.
     */
    public static int mknodat(int dirFd, String path, int mode, long dev) {
        if (dev != (dev & 0xffff_ffffL)) {
            return -Errno.EINVAL;
        }
        try (Arena arena = Arena.ofConfined()) {
            return (int) Syscall.call(Syscall.MKNODAT, dirFd, Syscall.path(arena, path), mode, dev);
        }
    }

    /** {@code unlinkat(dirfd, path, flags)} ({@link #AT_REMOVEDIR} for directories): 0 or {@code -errno}. */
    public static int unlinkat(int dirFd, String path, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) Syscall.call(Syscall.UNLINKAT, dirFd, Syscall.path(arena, path), flags);
        }
    }

    /** {@code renameat2(olddirfd, oldpath, newdirfd, newpath, flags)}: 0 or {@code -errno}. */
    public static int renameat2(int oldDirFd, String oldPath, int newDirFd, String newPath, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) Syscall.call(Syscall.RENAMEAT2, oldDirFd, Syscall.path(arena, oldPath), newDirFd,
                    Syscall.path(arena, newPath), flags);
        }
    }

    /** {@code symlinkat(target, newdirfd, linkpath)}: 0 or {@code -errno}. */
    public static int symlinkat(String target, int newDirFd, String linkPath) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) Syscall.call(Syscall.SYMLINKAT, Syscall.path(arena, target), newDirFd, Syscall.path(arena, linkPath));
        }
    }

    /** {@code readlinkat(dirfd, path, buffer, size)}: bytes placed in {@code buffer} (no NUL) or {@code -errno}. */
    public static long readlinkat(int dirFd, String path, MemorySegment buffer) {
        try (Arena arena = Arena.ofConfined()) {
            return Syscall.call(Syscall.READLINKAT, dirFd, Syscall.path(arena, path), Syscall.address(buffer),
                    buffer.byteSize());
        }
    }

    /** {@code linkat(olddirfd, oldpath, newdirfd, newpath, flags)}: 0 or {@code -errno}. */
    public static int linkat(int oldDirFd, String oldPath, int newDirFd, String newPath, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) Syscall.call(Syscall.LINKAT, oldDirFd, Syscall.path(arena, oldPath), newDirFd,
                    Syscall.path(arena, newPath), flags);
        }
    }

    /** {@code fchmodat(dirfd, path, mode)} (the system call has no flags): 0 or {@code -errno}. */
    public static int fchmodat(int dirFd, String path, int mode) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) Syscall.call(Syscall.FCHMODAT, dirFd, Syscall.path(arena, path), mode);
        }
    }

    /** {@code fchownat(dirfd, path, uid, gid, flags)} (-1 leaves an id alone): 0 or {@code -errno}. */
    public static int fchownat(int dirFd, String path, int uid, int gid, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) Syscall.call(Syscall.FCHOWNAT, dirFd, Syscall.path(arena, path), uid, gid, flags);
        }
    }

    /**
     * {@code utimensat(dirfd, path, {atime, mtime}, flags)}; a nanosecond field of
     * {@link #UTIME_NOW} or {@link #UTIME_OMIT} means now or unchanged. 0 or {@code -errno}.
     */
    public static int utimensat(int dirFd, String path, long atimeSeconds, long atimeNanos,
                                long mtimeSeconds, long mtimeNanos, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment times = arena.allocate(JAVA_LONG, 4);
            times.setAtIndex(JAVA_LONG, 0, atimeSeconds);
            times.setAtIndex(JAVA_LONG, 1, atimeNanos);
            times.setAtIndex(JAVA_LONG, 2, mtimeSeconds);
            times.setAtIndex(JAVA_LONG, 3, mtimeNanos);
            return (int) Syscall.call(Syscall.UTIMENSAT, dirFd, Syscall.path(arena, path), times.address(), flags);
        }
    }

    /** {@code faccessat(dirfd, path, mode)} by the real ids (the system call has no flags): 0 or {@code -errno}. */
    public static int faccessat(int dirFd, String path, int mode) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) Syscall.call(Syscall.FACCESSAT, dirFd, Syscall.path(arena, path), mode);
        }
    }

    /** {@code pread(fd, buffer, buffer.byteSize(), offset)} straight into {@code buffer}: bytes read or {@code -errno}. */
    public static long pread(int fd, MemorySegment buffer, long offset) {
        return buffer.isNative()
                ? Syscall.call(Syscall.PREAD64, fd, buffer.address(), buffer.byteSize(), offset)
                : HeapIo.call(HeapIo.PREAD, fd, buffer, offset);
    }

    /** {@code pwrite(fd, buffer, buffer.byteSize(), offset)} straight from {@code buffer}: bytes written or {@code -errno}. */
    public static long pwrite(int fd, MemorySegment buffer, long offset) {
        return buffer.isNative()
                ? Syscall.call(Syscall.PWRITE64, fd, buffer.address(), buffer.byteSize(), offset)
                : HeapIo.call(HeapIo.PWRITE, fd, buffer, offset);
    }

    /** {@code lseek(fd, offset, whence)}: the new offset or {@code -errno}. */
    public static long lseek(int fd, long offset, int whence) {
        return Syscall.call(Syscall.LSEEK, fd, offset, whence);
    }

    /** {@code fsync(fd)}: 0 or {@code -errno}. */
    public static int fsync(int fd) {
        return (int) Syscall.call(Syscall.FSYNC, fd);
    }

    /** {@code fdatasync(fd)}: 0 or {@code -errno}. */
    public static int fdatasync(int fd) {
        return (int) Syscall.call(Syscall.FDATASYNC, fd);
    }

    /** {@code ftruncate(fd, length)}: 0 or {@code -errno}. */
    public static int ftruncate(int fd, long length) {
        return (int) Syscall.call(Syscall.FTRUNCATE, fd, length);
    }

    /**
     * {@code getdents64(fd, buffer, buffer.byteSize())}: bytes of {@link Dirent64} records placed
     * in {@code buffer}, 0 at the end of the directory, or {@code -errno}.
     */
    public static long getdents64(int fd, MemorySegment buffer) {
        return Syscall.call(Syscall.GETDENTS64, fd, Syscall.address(buffer), buffer.byteSize());
    }

    /** {@code fallocate(fd, mode, offset, length)}: 0 or {@code -errno} (EOPNOTSUPP where the file system lacks the mode). */
    public static int fallocate(int fd, int mode, long offset, long length) {
        return (int) Syscall.call(Syscall.FALLOCATE, fd, mode, offset, length);
    }
}
