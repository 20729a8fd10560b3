package dev.flint.vmm.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Linux x86-64 system calls through libc's {@code syscall(2)}, every one through the same single
 * downcall handle: {@code long syscall(long number, ...)} with six long arguments, errno captured.
 *
 * <p>Why one handle: the FFM linker generates a stub for each distinct function shape the first
 * time it is linked, and the JVM's AOT cache does not keep those stubs. Bound one libc function
 * at a time, a boot linked about fifteen shapes, 5-7 ms each on a host and 60-130 ms each in the
 * nested rig; through {@code syscall} a fresh process pays for one. Unused arguments are passed as
 * zero, which the kernel ignores. Pointers are passed as addresses, so only native segments are
 * accepted ({@link #address}); the caller keeps them alive for the call, as it does anyway.
 */
final class Syscall {
    static final long READ = 0;
    static final long WRITE = 1;
    static final long OPEN = 2;
    static final long CLOSE = 3;
    static final long POLL = 7;
    static final long LSEEK = 8;
    static final long MMAP = 9;
    static final long MUNMAP = 11;
    static final long RT_SIGPROCMASK = 14;
    static final long IOCTL = 16;
    static final long PREAD64 = 17;
    static final long PWRITE64 = 18;
    static final long GETPID = 39;
    static final long FSYNC = 74;
    static final long FDATASYNC = 75;
    static final long FTRUNCATE = 77;
    static final long RT_SIGTIMEDWAIT = 128;
    static final long FSTATFS = 138;
    static final long GETTID = 186;
    static final long GETDENTS64 = 217;
    static final long EPOLL_WAIT = 232;
    static final long EPOLL_CTL = 233;
    static final long TGKILL = 234;
    static final long OPENAT = 257;
    static final long MKDIRAT = 258;
    static final long MKNODAT = 259;
    static final long FCHOWNAT = 260;
    static final long NEWFSTATAT = 262;
    static final long UNLINKAT = 263;
    static final long LINKAT = 265;
    static final long SYMLINKAT = 266;
    static final long READLINKAT = 267;
    static final long FCHMODAT = 268;
    static final long FACCESSAT = 269;
    static final long UTIMENSAT = 280;
    static final long FALLOCATE = 285;
    static final long EVENTFD2 = 290;
    static final long EPOLL_CREATE1 = 291;
    static final long RENAMEAT2 = 316;

    /** The kernel's sigset_t: 64 signals, 8 bytes (glibc's is 128 bytes; the kernel reads the first 8). */
    static final long KERNEL_SIGSET_BYTES = 8;

    static final Linker LINKER = Linker.nativeLinker();
    /** The option that captures errno into {@link #callState}, for the few libc bindings that are not system calls. */
    static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(groupElement("errno"));
    private static final ThreadLocal<MemorySegment> CALL_STATE_SEGMENT =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CALL_STATE));
    private static final MethodHandle SYSCALL = LINKER.downcallHandle(
            LINKER.defaultLookup().find("syscall").orElseThrow(() -> new UnsatisfiedLinkError("libc has no syscall")),
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
            CAPTURE_ERRNO, Linker.Option.firstVariadicArg(1));

    private Syscall() {
    }

    /** System call {@code number} with six arguments: its result, or {@code -errno}. */
    static long call(long number, long a, long b, long c, long d, long e, long f) {
        MemorySegment state = callState();
        long rc;
        try {
            rc = (long) SYSCALL.invokeExact(state, number, a, b, c, d, e, f);
        } catch (Throwable t) {
            throw new IllegalStateException("system call " + number + " could not be made: " + t, t);
        }
        return result(rc, state);
    }

    /** The calling thread's errno capture segment, owned by it, never shared. */
    static MemorySegment callState() {
        return CALL_STATE_SEGMENT.get();
    }

    /** {@code rc}, or {@code -errno} from {@code state} when the call returned -1. */
    static long result(long rc, MemorySegment state) {
        return rc == -1 ? -(int) ERRNO.get(state, 0L) : rc;
    }

    static long call(long number) {
        return call(number, 0, 0, 0, 0, 0, 0);
    }

    static long call(long number, long a) {
        return call(number, a, 0, 0, 0, 0, 0);
    }

    static long call(long number, long a, long b) {
        return call(number, a, b, 0, 0, 0, 0);
    }

    static long call(long number, long a, long b, long c) {
        return call(number, a, b, c, 0, 0, 0);
    }

    static long call(long number, long a, long b, long c, long d) {
        return call(number, a, b, c, d, 0, 0);
    }

    static long call(long number, long a, long b, long c, long d, long e) {
        return call(number, a, b, c, d, e, 0);
    }

    /** The address of native {@code segment} (0 for {@link MemorySegment#NULL}); a heap segment has none to give. */
    static long address(MemorySegment segment) {
        if (!segment.isNative()) {
            throw new IllegalArgumentException("a system call needs native memory, not a heap segment: " + segment);
        }
        return segment.address();
    }

    /** {@code path} as a NUL-terminated C string in {@code arena}, by address. */
    static long path(Arena arena, String path) {
        return arena.allocateFrom(path).address();
    }
}
