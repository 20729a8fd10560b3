package dev.flint.vmm.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Optional;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The libc calls Flint makes, bound by hand through the FFM API.
 *
 * <p>Every method returns the call's result, or {@code -errno} when it failed; the typed layers
 * above turn that into {@link ErrnoException}. errno is captured per call into a segment owned
 * by the calling thread, never a shared one. No binding is marked critical: several of these
 * calls block ({@code ioctl(KVM_RUN)}, {@code read}, {@code sigtimedwait}).
 */
public final class Libc {
    public static final int O_RDONLY = 0;
    public static final int O_RDWR = 2;
    public static final int O_CLOEXEC = 0x80000;

    public static final int PROT_READ = 1;
    public static final int PROT_WRITE = 2;
    public static final int MAP_SHARED = 0x01;
    public static final int MAP_PRIVATE = 0x02;
    public static final int MAP_ANONYMOUS = 0x20;
    public static final int MAP_NORESERVE = 0x4000;

    public static final int EFD_CLOEXEC = 0x80000;
    public static final int EFD_NONBLOCK = 0x800;

    public static final int EPOLL_CLOEXEC = 0x80000;
    public static final int EPOLL_CTL_ADD = 1;
    public static final int EPOLL_CTL_DEL = 2;
    public static final int EPOLLIN = 0x001;
    /** {@code struct epoll_event} is packed on x86-64: u32 events, u64 data. */
    public static final long EPOLL_EVENT_BYTES = 12;

    public static final int SIG_BLOCK = 0;
    public static final int SIG_UNBLOCK = 1;

    /** glibc's {@code sigset_t} is 1024 bits. */
    public static final long SIGSET_BYTES = 128;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
    private static final ThreadLocal<MemorySegment> CALL_STATE_SEGMENT =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CALL_STATE));

    // Downcall handles are made on first use, a group at a time (holder classes): each one costs a
    // generated stub that the JVM's AOT cache does not keep, so a start pays only for the calls it
    // makes. Equal FunctionDescriptors (and options) share one stub in the linker, so calls of one
    // shape (read and write, close and epoll_create1) cost one.

    /** File descriptors: open, close, read, write. */
    private static final class Files {
        static final MethodHandle OPEN = bind("open",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), 2);
        static final MethodHandle CLOSE = bind("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), -1);
        static final MethodHandle READ = bind("read",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), -1);
        static final MethodHandle WRITE = bind("write",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), -1);
    }

    /** ioctl, with a pointer or an integer argument. */
    private static final class Ioctls {
        static final MethodHandle IOCTL_PTR = bind("ioctl",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), 2);
        static final MethodHandle IOCTL_LONG = bind("ioctl",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), 2);
    }

    /** mmap and munmap. */
    private static final class Mappings {
        static final MethodHandle MMAP = bind("mmap",
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG), -1);
        static final MethodHandle MUNMAP = bind("munmap",
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG), -1);
    }

    /** eventfd and epoll. */
    private static final class Events {
        static final MethodHandle EVENTFD = bind("eventfd",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), -1);
        static final MethodHandle EPOLL_CREATE1 = bind("epoll_create1",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT), -1);
        static final MethodHandle EPOLL_CTL = bind("epoll_ctl",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS), -1);
        static final MethodHandle EPOLL_WAIT = bind("epoll_wait",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), -1);
    }

    /** Threads and signals (the vCPU kick). */
    private static final class Signals {
        static final MethodHandle PTHREAD_SELF = LINKER.downcallHandle(
                symbol("pthread_self"), FunctionDescriptor.of(JAVA_LONG));
        // pthread_kill and pthread_sigmask return the error number instead of setting errno.
        static final MethodHandle PTHREAD_KILL = LINKER.downcallHandle(
                symbol("pthread_kill"), FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT));
        static final MethodHandle PTHREAD_SIGMASK = LINKER.downcallHandle(
                symbol("pthread_sigmask"),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
        static final MethodHandle SIGTIMEDWAIT = bind("sigtimedwait",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS), -1);
    }

    /** The C allocator, for measuring a process: glibc's {@code malloc_trim} (musl has none). */
    private static final class Allocator {
        static final Optional<MethodHandle> MALLOC_TRIM = LINKER.defaultLookup().find("malloc_trim")
                .map(symbol -> LINKER.downcallHandle(symbol, FunctionDescriptor.of(JAVA_INT, JAVA_LONG)));
    }

    private Libc() {
    }

    private static MemorySegment symbol(String name) {
        return LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no symbol " + name));
    }

    private static MethodHandle bind(String name, FunctionDescriptor descriptor, int firstVariadicArg) {
        MemorySegment symbol = symbol(name);
        return firstVariadicArg < 0
                ? LINKER.downcallHandle(symbol, descriptor, CAPTURE_ERRNO)
                : LINKER.downcallHandle(symbol, descriptor, CAPTURE_ERRNO, Linker.Option.firstVariadicArg(firstVariadicArg));
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

    /** {@code open(path, flags, mode)}: a file descriptor or {@code -errno}. */
    public static int open(String path, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = callState();
            return result((int) Files.OPEN.invokeExact(state, arena.allocateFrom(path), flags, 0), state);
        } catch (Throwable t) {
            throw linkageFailure("open", t);
        }
    }

    /** {@code close(fd)}: 0 or {@code -errno}. */
    public static int close(int fd) {
        try {
            MemorySegment state = callState();
            return result((int) Files.CLOSE.invokeExact(state, fd), state);
        } catch (Throwable t) {
            throw linkageFailure("close", t);
        }
    }

    /** {@code ioctl(fd, request, pointer)}: the call's result or {@code -errno}. */
    public static int ioctl(int fd, long request, MemorySegment argument) {
        try {
            MemorySegment state = callState();
            return result((int) Ioctls.IOCTL_PTR.invokeExact(state, fd, request, argument), state);
        } catch (Throwable t) {
            throw linkageFailure("ioctl", t);
        }
    }

    /** {@code ioctl(fd, request, value)} for requests that take an integer argument. */
    public static int ioctl(int fd, long request, long value) {
        try {
            MemorySegment state = callState();
            return result((int) Ioctls.IOCTL_LONG.invokeExact(state, fd, request, value), state);
        } catch (Throwable t) {
            throw linkageFailure("ioctl", t);
        }
    }

    /** {@code mmap(NULL, length, prot, flags, fd, 0)}: the mapping's address or {@code -errno}. */
    public static long mmap(long length, int prot, int flags, int fd) {
        return mmap(length, prot, flags, fd, 0);
    }

    /** {@code mmap(NULL, length, prot, flags, fd, offset)} ({@code offset} page-aligned): the address or {@code -errno}. */
    public static long mmap(long length, int prot, int flags, int fd, long offset) {
        try {
            MemorySegment state = callState();
            return result((long) Mappings.MMAP.invokeExact(state, 0L, length, prot, flags, fd, offset), state);
        } catch (Throwable t) {
            throw linkageFailure("mmap", t);
        }
    }

    /** {@code munmap(address, length)}: 0 or {@code -errno}. */
    public static int munmap(long address, long length) {
        try {
            MemorySegment state = callState();
            return result((int) Mappings.MUNMAP.invokeExact(state, address, length), state);
        } catch (Throwable t) {
            throw linkageFailure("munmap", t);
        }
    }

    /** {@code eventfd(initval, flags)}: a file descriptor or {@code -errno}. */
    public static int eventfd(int initialValue, int flags) {
        try {
            MemorySegment state = callState();
            return result((int) Events.EVENTFD.invokeExact(state, initialValue, flags), state);
        } catch (Throwable t) {
            throw linkageFailure("eventfd", t);
        }
    }

    /** {@code read(fd, buffer, buffer.byteSize())}: bytes read or {@code -errno}. */
    public static long read(int fd, MemorySegment buffer) {
        try {
            MemorySegment state = callState();
            return result((long) Files.READ.invokeExact(state, fd, buffer, buffer.byteSize()), state);
        } catch (Throwable t) {
            throw linkageFailure("read", t);
        }
    }

    /** {@code write(fd, buffer, buffer.byteSize())}: bytes written or {@code -errno}. */
    public static long write(int fd, MemorySegment buffer) {
        try {
            MemorySegment state = callState();
            return result((long) Files.WRITE.invokeExact(state, fd, buffer, buffer.byteSize()), state);
        } catch (Throwable t) {
            throw linkageFailure("write", t);
        }
    }

    /** {@code epoll_create1(flags)}: an epoll fd or {@code -errno}. */
    public static int epollCreate1(int flags) {
        try {
            MemorySegment state = callState();
            return result((int) Events.EPOLL_CREATE1.invokeExact(state, flags), state);
        } catch (Throwable t) {
            throw linkageFailure("epoll_create1", t);
        }
    }

    /** {@code epoll_ctl(epfd, op, fd, event)}: 0 or {@code -errno}. */
    public static int epollCtl(int epfd, int op, int fd, MemorySegment event) {
        try {
            MemorySegment state = callState();
            return result((int) Events.EPOLL_CTL.invokeExact(state, epfd, op, fd, event), state);
        } catch (Throwable t) {
            throw linkageFailure("epoll_ctl", t);
        }
    }

    /** {@code epoll_wait(epfd, events, maxevents, timeout)}: ready count or {@code -errno}. */
    public static int epollWait(int epfd, MemorySegment events, int maxEvents, int timeoutMillis) {
        try {
            MemorySegment state = callState();
            return result((int) Events.EPOLL_WAIT.invokeExact(state, epfd, events, maxEvents, timeoutMillis), state);
        } catch (Throwable t) {
            throw linkageFailure("epoll_wait", t);
        }
    }

    /** {@code pthread_self()} of the calling platform thread. */
    public static long pthreadSelf() {
        try {
            return (long) Signals.PTHREAD_SELF.invokeExact();
        } catch (Throwable t) {
            throw linkageFailure("pthread_self", t);
        }
    }

    /** {@code pthread_kill(thread, signal)}: 0 or {@code -error}. */
    public static int pthreadKill(long thread, int signal) {
        try {
            return -(int) Signals.PTHREAD_KILL.invokeExact(thread, signal);
        } catch (Throwable t) {
            throw linkageFailure("pthread_kill", t);
        }
    }

    /** {@code pthread_sigmask(how, set, oldset)}: 0 or {@code -error}; either set may be NULL. */
    public static int pthreadSigmask(int how, MemorySegment set, MemorySegment oldSet) {
        try {
            return -(int) Signals.PTHREAD_SIGMASK.invokeExact(how, set, oldSet);
        } catch (Throwable t) {
            throw linkageFailure("pthread_sigmask", t);
        }
    }

    /** {@code sigtimedwait(set, NULL, timeout)}: the signal taken or {@code -errno} (EAGAIN: none). */
    public static int sigtimedwait(MemorySegment set, MemorySegment timespec) {
        try {
            MemorySegment state = callState();
            return result((int) Signals.SIGTIMEDWAIT.invokeExact(state, set, MemorySegment.NULL, timespec), state);
        } catch (Throwable t) {
            throw linkageFailure("sigtimedwait", t);
        }
    }

    /**
     * {@code malloc_trim(0)}: the C allocator gives every free page it holds back to the system.
     * Returns whether this C library has the call (glibc does, musl does not).
     */
    public static boolean mallocTrim() {
        if (Allocator.MALLOC_TRIM.isEmpty()) {
            return false;
        }
        try {
            int released = (int) Allocator.MALLOC_TRIM.get().invokeExact(0L);
            return true;
        } catch (Throwable t) {
            throw linkageFailure("malloc_trim", t);
        }
    }

    /** A {@code sigset_t} holding the given signals, allocated in {@code arena}. */
    public static MemorySegment sigset(Arena arena, int... signals) {
        MemorySegment set = arena.allocate(SIGSET_BYTES, 8);
        for (int signal : signals) {
            int bit = signal - 1;
            long word = set.getAtIndex(ValueLayout.JAVA_LONG, bit / 64);
            set.setAtIndex(ValueLayout.JAVA_LONG, bit / 64, word | (1L << (bit % 64)));
        }
        return set;
    }

    private static IllegalStateException linkageFailure(String call, Throwable t) {
        return new IllegalStateException("native call " + call + " could not be made: " + t, t);
    }
}
