package dev.flint.vmm.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The system calls Flint makes, through the FFM API: all of them through {@link Syscall}'s one
 * downcall handle, so a fresh process links one stub, not one per call's shape.
 *
 * <p>Every method returns the call's result, or {@code -errno} when it failed; the typed layers
 * above turn that into {@link ErrnoException}. errno is captured per call into a segment owned
 * by the calling thread, never a shared one. The handle is not marked critical: several of these
 * calls block ({@code ioctl(KVM_RUN)}, {@code read}, {@code sigtimedwait}). Pointer arguments
 * must be native segments.
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

    private static final long PID = ProcessHandle.current().pid();

    /** The C allocator, for measuring a process: glibc's {@code malloc_trim} (musl has none); not a system call. */
    private static final class Allocator {
        static final Optional<MethodHandle> MALLOC_TRIM = Syscall.LINKER.defaultLookup().find("malloc_trim")
                .map(symbol -> Syscall.LINKER.downcallHandle(symbol, FunctionDescriptor.of(JAVA_INT, JAVA_LONG)));
    }

    private Libc() {
    }

    /** {@code open(path, flags, 0)}: a file descriptor or {@code -errno}. */
    public static int open(String path, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) Syscall.call(Syscall.OPEN, Syscall.path(arena, path), flags, 0);
        }
    }

    /** {@code close(fd)}: 0 or {@code -errno}. */
    public static int close(int fd) {
        return (int) Syscall.call(Syscall.CLOSE, fd);
    }

    /** {@code ioctl(fd, request, pointer)}: the call's result or {@code -errno}. */
    public static int ioctl(int fd, long request, MemorySegment argument) {
        return (int) Syscall.call(Syscall.IOCTL, fd, request, Syscall.address(argument));
    }

    /** {@code ioctl(fd, request, value)} for requests that take an integer argument. */
    public static int ioctl(int fd, long request, long value) {
        return (int) Syscall.call(Syscall.IOCTL, fd, request, value);
    }

    /** {@code mmap(NULL, length, prot, flags, fd, 0)}: the mapping's address or {@code -errno}. */
    public static long mmap(long length, int prot, int flags, int fd) {
        return mmap(length, prot, flags, fd, 0);
    }

    /** {@code mmap(NULL, length, prot, flags, fd, offset)} ({@code offset} page-aligned): the address or {@code -errno}. */
    public static long mmap(long length, int prot, int flags, int fd, long offset) {
        return Syscall.call(Syscall.MMAP, 0, length, prot, flags, fd, offset);
    }

    /** {@code munmap(address, length)}: 0 or {@code -errno}. */
    public static int munmap(long address, long length) {
        return (int) Syscall.call(Syscall.MUNMAP, address, length);
    }

    /** {@code eventfd(initval, flags)}: a file descriptor or {@code -errno}. */
    public static int eventfd(int initialValue, int flags) {
        return (int) Syscall.call(Syscall.EVENTFD2, initialValue, flags);
    }

    /** {@code read(fd, buffer, buffer.byteSize())}: bytes read or {@code -errno}. */
    public static long read(int fd, MemorySegment buffer) {
        return Syscall.call(Syscall.READ, fd, Syscall.address(buffer), buffer.byteSize());
    }

    /** {@code write(fd, buffer, buffer.byteSize())}: bytes written or {@code -errno}. */
    public static long write(int fd, MemorySegment buffer) {
        return Syscall.call(Syscall.WRITE, fd, Syscall.address(buffer), buffer.byteSize());
    }

    /** {@code epoll_create1(flags)}: an epoll fd or {@code -errno}. */
    public static int epollCreate1(int flags) {
        return (int) Syscall.call(Syscall.EPOLL_CREATE1, flags);
    }

    /** {@code epoll_ctl(epfd, op, fd, event)}: 0 or {@code -errno}. */
    public static int epollCtl(int epfd, int op, int fd, MemorySegment event) {
        return (int) Syscall.call(Syscall.EPOLL_CTL, epfd, op, fd, Syscall.address(event));
    }

    /** {@code epoll_wait(epfd, events, maxevents, timeout)}: ready count or {@code -errno}. */
    public static int epollWait(int epfd, MemorySegment events, int maxEvents, int timeoutMillis) {
        return (int) Syscall.call(Syscall.EPOLL_WAIT, epfd, Syscall.address(events), maxEvents, timeoutMillis);
    }

    /** {@code poll(fds, count, timeoutMillis)} over {@code struct pollfd}s: entries ready, 0 on timeout, or {@code -errno}. */
    public static int poll(MemorySegment fds, int count, int timeoutMillis) {
        return (int) Syscall.call(Syscall.POLL, Syscall.address(fds), count, timeoutMillis);
    }

    /** {@code gettid()}: the kernel's id of the calling platform thread, for {@link #signalThread}. */
    public static long threadId() {
        return Syscall.call(Syscall.GETTID);
    }

    /** {@code tgkill(getpid(), thread, signal)}: sends {@code signal} to thread {@code thread} of this process; 0 or {@code -errno}. */
    public static int signalThread(long thread, int signal) {
        return (int) Syscall.call(Syscall.TGKILL, PID, thread, signal);
    }

    /**
     * {@code rt_sigprocmask(how, set, oldset)} of the calling thread: 0 or {@code -errno}; either
     * set may be {@link MemorySegment#NULL}. Sets are {@link #sigset}s; the kernel reads and writes
     * their first 64 signals.
     */
    public static int sigprocmask(int how, MemorySegment set, MemorySegment oldSet) {
        return (int) Syscall.call(Syscall.RT_SIGPROCMASK, how, Syscall.address(set), Syscall.address(oldSet),
                Syscall.KERNEL_SIGSET_BYTES);
    }

    /** {@code sigtimedwait(set, NULL, timeout)}: the signal taken or {@code -errno} (EAGAIN: none). */
    public static int sigtimedwait(MemorySegment set, MemorySegment timespec) {
        return (int) Syscall.call(Syscall.RT_SIGTIMEDWAIT, Syscall.address(set), 0, Syscall.address(timespec),
                Syscall.KERNEL_SIGSET_BYTES);
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
            throw new IllegalStateException("native call malloc_trim could not be made: " + t, t);
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
}
