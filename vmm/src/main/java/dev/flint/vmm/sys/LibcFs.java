package dev.flint.vmm.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The libc file-system calls a passthrough file server needs, bound by hand through the FFM API:
 * the {@code *at} family relative to directory fds, {@code O_PATH} opens, positional I/O,
 * {@code getdents64}. Same conventions as {@link Libc}: each method returns the result or
 * {@code -errno}, errno is captured per call into a segment owned by the calling thread, and
 * path arguments are passed as C strings allocated for the call.
 *
 * <p>{@code pread}/{@code pwrite} take guest memory directly. Guest RAM is native memory and
 * goes through ordinary bindings; heap segments (tests' guest memory) can only be handed to a
 * {@code critical} downcall, so those take a second binding with heap access allowed.
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

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
    /** {@code fallocate} modes: keep the file's size, free the range (a hole), zero it in place. */
    public static final int FALLOC_FL_KEEP_SIZE = 0x01;
    public static final int FALLOC_FL_PUNCH_HOLE = 0x02;
    public static final int FALLOC_FL_ZERO_RANGE = 0x10;

    private static final ThreadLocal<MemorySegment> CALL_STATE_SEGMENT =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CALL_STATE));

    // Downcall handles are made on first use, a group at a time (holder classes): each one costs a
    // generated stub that the JVM's AOT cache does not keep, so a machine without virtio-fs never
    // makes the directory calls' stubs. Equal FunctionDescriptors (and options) share one stub.

    /** Opening a file and whole-file calls (disks, snapshots, sparse copies). */
    private static final class Files {
        static final MethodHandle OPENAT = bind("openat",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
                Linker.Option.firstVariadicArg(3));
        static final MethodHandle LSEEK = bind("lseek",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT));
        static final MethodHandle FTRUNCATE = bind("ftruncate",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG));
        static final MethodHandle FSYNC = bind("fsync", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        static final MethodHandle FDATASYNC = bind("fdatasync", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        static final MethodHandle FALLOCATE = bind("fallocate",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG));
    }

    /** Positioned reads and writes. */
    private static final class Io {
        static final MethodHandle PREAD = bind("pread",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
        static final MethodHandle PWRITE = bind("pwrite",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
        static final MethodHandle PREAD_HEAP = bind("pread",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG), Linker.Option.critical(true));
        static final MethodHandle PWRITE_HEAP = bind("pwrite",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG), Linker.Option.critical(true));
    }

    /** Directory-tree calls (virtio-fs). */
    private static final class Tree {
        static final MethodHandle FSTATAT = bind("fstatat",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
        static final MethodHandle FSTATFS = bind("fstatfs",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
        static final MethodHandle MKDIRAT = bind("mkdirat",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
        static final MethodHandle MKNODAT = bind("mknodat",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG));
        static final MethodHandle UNLINKAT = bind("unlinkat",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
        static final MethodHandle RENAMEAT2 = bind("renameat2",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT));
        static final MethodHandle SYMLINKAT = bind("symlinkat",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS));
        static final MethodHandle READLINKAT = bind("readlinkat",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG));
        static final MethodHandle LINKAT = bind("linkat",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT));
        static final MethodHandle FCHMODAT = bind("fchmodat",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
        static final MethodHandle FCHOWNAT = bind("fchownat",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT));
        static final MethodHandle UTIMENSAT = bind("utimensat",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
        static final MethodHandle FACCESSAT = bind("faccessat",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
        static final MethodHandle GETDENTS64 = bind("getdents64",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    }

    private LibcFs() {
    }

    private static MethodHandle bind(String name, FunctionDescriptor descriptor, Linker.Option... extra) {
        MemorySegment symbol = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no symbol " + name));
        Linker.Option[] options = new Linker.Option[extra.length + 1];
        options[0] = CAPTURE_ERRNO;
        System.arraycopy(extra, 0, options, 1, extra.length);
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    private static MemorySegment callState() {
        return CALL_STATE_SEGMENT.get();
    }

    private static int result(int rc, MemorySegment state) {
        return rc == -1 ? -(int) ERRNO.get(state, 0L) : rc;
    }

    private static long result(long rc, MemorySegment state) {
        return rc == -1 ? -(int) ERRNO.get(state, 0L) : rc;
    }

    private static IllegalStateException linkageFailure(String call, Throwable t) {
        return new IllegalStateException("native call " + call + " could not be made: " + t, t);
    }

    /** {@code openat(dirfd, path, flags, mode)}: a file descriptor or {@code -errno}. */
    public static int openat(int dirFd, String path, int flags, int mode) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = callState();
            return result((int) Files.OPENAT.invokeExact(state, dirFd, arena.allocateFrom(path), flags, mode), state);
        } catch (Throwable t) {
            throw linkageFailure("openat", t);
        }
    }

    /** {@code fstatat(dirfd, path, stat, flags)} into a {@link Stat#LAYOUT} segment: 0 or {@code -errno}. */
    public static int fstatat(int dirFd, String path, MemorySegment stat, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = callState();
            return result((int) Tree.FSTATAT.invokeExact(state, dirFd, arena.allocateFrom(path), stat, flags), state);
        } catch (Throwable t) {
            throw linkageFailure("fstatat", t);
        }
    }

    /** {@code fstatfs(fd, statfs)} into a {@link StatFs#LAYOUT} segment: 0 or {@code -errno}. */
    public static int fstatfs(int fd, MemorySegment statfs) {
        try {
            MemorySegment state = callState();
            return result((int) Tree.FSTATFS.invokeExact(state, fd, statfs), state);
        } catch (Throwable t) {
            throw linkageFailure("fstatfs", t);
        }
    }

    /** {@code mkdirat(dirfd, path, mode)}: 0 or {@code -errno}. */
    public static int mkdirat(int dirFd, String path, int mode) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = callState();
            return result((int) Tree.MKDIRAT.invokeExact(state, dirFd, arena.allocateFrom(path), mode), state);
        } catch (Throwable t) {
            throw linkageFailure("mkdirat", t);
        }
    }

    /** {@code mknodat(dirfd, path, mode, dev)}: 0 or {@code -errno}. */
    public static int mknodat(int dirFd, String path, int mode, long dev) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = callState();
            return result((int) Tree.MKNODAT.invokeExact(state, dirFd, arena.allocateFrom(path), mode, dev), state);
        } catch (Throwable t) {
            throw linkageFailure("mknodat", t);
        }
    }

    /** {@code unlinkat(dirfd, path, flags)} ({@link #AT_REMOVEDIR} for directories): 0 or {@code -errno}. */
    public static int unlinkat(int dirFd, String path, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = callState();
            return result((int) Tree.UNLINKAT.invokeExact(state, dirFd, arena.allocateFrom(path), flags), state);
        } catch (Throwable t) {
            throw linkageFailure("unlinkat", t);
        }
    }

    /** {@code renameat2(olddirfd, oldpath, newdirfd, newpath, flags)}: 0 or {@code -errno}. */
    public static int renameat2(int oldDirFd, String oldPath, int newDirFd, String newPath, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = callState();
            return result((int) Tree.RENAMEAT2.invokeExact(state, oldDirFd, arena.allocateFrom(oldPath), newDirFd,
                    arena.allocateFrom(newPath), flags), state);
        } catch (Throwable t) {
            throw linkageFailure("renameat2", t);
        }
    }

    /** {@code symlinkat(target, newdirfd, linkpath)}: 0 or {@code -errno}. */
    public static int symlinkat(String target, int newDirFd, String linkPath) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = callState();
            return result((int) Tree.SYMLINKAT.invokeExact(state, arena.allocateFrom(target), newDirFd,
                    arena.allocateFrom(linkPath)), state);
        } catch (Throwable t) {
            throw linkageFailure("symlinkat", t);
        }
    }

    /** {@code readlinkat(dirfd, path, buffer, size)}: bytes placed in {@code buffer} (no NUL) or {@code -errno}. */
    public static long readlinkat(int dirFd, String path, MemorySegment buffer) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = callState();
            return result((long) Tree.READLINKAT.invokeExact(state, dirFd, arena.allocateFrom(path), buffer,
                    buffer.byteSize()), state);
        } catch (Throwable t) {
            throw linkageFailure("readlinkat", t);
        }
    }

    /** {@code linkat(olddirfd, oldpath, newdirfd, newpath, flags)}: 0 or {@code -errno}. */
    public static int linkat(int oldDirFd, String oldPath, int newDirFd, String newPath, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = callState();
            return result((int) Tree.LINKAT.invokeExact(state, oldDirFd, arena.allocateFrom(oldPath), newDirFd,
                    arena.allocateFrom(newPath), flags), state);
        } catch (Throwable t) {
            throw linkageFailure("linkat", t);
        }
    }

    /** {@code fchmodat(dirfd, path, mode, flags)}: 0 or {@code -errno}. */
    public static int fchmodat(int dirFd, String path, int mode, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = callState();
            return result((int) Tree.FCHMODAT.invokeExact(state, dirFd, arena.allocateFrom(path), mode, flags), state);
        } catch (Throwable t) {
            throw linkageFailure("fchmodat", t);
        }
    }

    /** {@code fchownat(dirfd, path, uid, gid, flags)} (-1 leaves an id alone): 0 or {@code -errno}. */
    public static int fchownat(int dirFd, String path, int uid, int gid, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = callState();
            return result((int) Tree.FCHOWNAT.invokeExact(state, dirFd, arena.allocateFrom(path), uid, gid, flags), state);
        } catch (Throwable t) {
            throw linkageFailure("fchownat", t);
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
            MemorySegment state = callState();
            return result((int) Tree.UTIMENSAT.invokeExact(state, dirFd, arena.allocateFrom(path), times, flags), state);
        } catch (Throwable t) {
            throw linkageFailure("utimensat", t);
        }
    }

    /** {@code faccessat(dirfd, path, mode, flags)}: 0 or {@code -errno}. */
    public static int faccessat(int dirFd, String path, int mode, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = callState();
            return result((int) Tree.FACCESSAT.invokeExact(state, dirFd, arena.allocateFrom(path), mode, flags), state);
        } catch (Throwable t) {
            throw linkageFailure("faccessat", t);
        }
    }

    /** {@code pread(fd, buffer, buffer.byteSize(), offset)} straight into {@code buffer}: bytes read or {@code -errno}. */
    public static long pread(int fd, MemorySegment buffer, long offset) {
        try {
            MemorySegment state = callState();
            long rc = buffer.isNative()
                    ? (long) Io.PREAD.invokeExact(state, fd, buffer, buffer.byteSize(), offset)
                    : (long) Io.PREAD_HEAP.invokeExact(state, fd, buffer, buffer.byteSize(), offset);
            return result(rc, state);
        } catch (Throwable t) {
            throw linkageFailure("pread", t);
        }
    }

    /** {@code pwrite(fd, buffer, buffer.byteSize(), offset)} straight from {@code buffer}: bytes written or {@code -errno}. */
    public static long pwrite(int fd, MemorySegment buffer, long offset) {
        try {
            MemorySegment state = callState();
            long rc = buffer.isNative()
                    ? (long) Io.PWRITE.invokeExact(state, fd, buffer, buffer.byteSize(), offset)
                    : (long) Io.PWRITE_HEAP.invokeExact(state, fd, buffer, buffer.byteSize(), offset);
            return result(rc, state);
        } catch (Throwable t) {
            throw linkageFailure("pwrite", t);
        }
    }

    /** {@code lseek(fd, offset, whence)}: the new offset or {@code -errno}. */
    public static long lseek(int fd, long offset, int whence) {
        try {
            MemorySegment state = callState();
            return result((long) Files.LSEEK.invokeExact(state, fd, offset, whence), state);
        } catch (Throwable t) {
            throw linkageFailure("lseek", t);
        }
    }

    /** {@code fsync(fd)}: 0 or {@code -errno}. */
    public static int fsync(int fd) {
        try {
            MemorySegment state = callState();
            return result((int) Files.FSYNC.invokeExact(state, fd), state);
        } catch (Throwable t) {
            throw linkageFailure("fsync", t);
        }
    }

    /** {@code fdatasync(fd)}: 0 or {@code -errno}. */
    public static int fdatasync(int fd) {
        try {
            MemorySegment state = callState();
            return result((int) Files.FDATASYNC.invokeExact(state, fd), state);
        } catch (Throwable t) {
            throw linkageFailure("fdatasync", t);
        }
    }

    /** {@code ftruncate(fd, length)}: 0 or {@code -errno}. */
    public static int ftruncate(int fd, long length) {
        try {
            MemorySegment state = callState();
            return result((int) Files.FTRUNCATE.invokeExact(state, fd, length), state);
        } catch (Throwable t) {
            throw linkageFailure("ftruncate", t);
        }
    }

    /**
     * {@code getdents64(fd, buffer, buffer.byteSize())}: bytes of {@link Dirent64} records placed
     * in {@code buffer}, 0 at the end of the directory, or {@code -errno}.
     */
    public static long getdents64(int fd, MemorySegment buffer) {
        try {
            MemorySegment state = callState();
            return result((long) Tree.GETDENTS64.invokeExact(state, fd, buffer, buffer.byteSize()), state);
        } catch (Throwable t) {
            throw linkageFailure("getdents64", t);
        }
    }
    /** {@code fallocate(fd, mode, offset, length)}: 0 or {@code -errno} (EOPNOTSUPP where the file system lacks the mode). */
    public static int fallocate(int fd, int mode, long offset, long length) {
        try {
            MemorySegment state = callState();
            return result((int) Files.FALLOCATE.invokeExact(state, fd, mode, offset, length), state);
        } catch (Throwable t) {
            throw linkageFailure("fallocate", t);
        }
    }

}
