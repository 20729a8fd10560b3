package dev.flint.vmm.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A Linux eventfd: the doorbell between KVM and Flint's devices. KVM signals one when the guest
 * writes a queue-notify register ({@code KVM_IOEVENTFD}), and injects an interrupt when Flint
 * signals one ({@code KVM_IRQFD}), so neither direction needs a vCPU exit to user space.
 */
public final class EventFd implements AutoCloseable {
    /** The 1 every signal writes: never changed, so any number of threads may write it at once. */
    private static final MemorySegment ONE = Arena.global().allocateFrom(JAVA_LONG, 1L);

    private final int fd;
    /** Where {@link #drain()} reads the counter: one per eventfd, not an arena per call. */
    private final MemorySegment counter = Arena.ofAuto().allocate(JAVA_LONG);
    private volatile boolean closed;

    private EventFd(int fd) {
        this.fd = fd;
    }

    /** A non-blocking, close-on-exec eventfd with counter 0. */
    public static EventFd create() throws ErrnoException {
        return new EventFd(ErrnoException.check("eventfd", Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK)));
    }

    public int fd() {
        if (closed) {
            throw new IllegalStateException("eventfd " + fd + " is closed");
        }
        return fd;
    }

    /** Adds 1 to the counter, waking whoever waits on it. */
    public void signal() throws ErrnoException {
        ErrnoException.check("write(eventfd)", Libc.write(fd(), ONE));
    }

    /** Reads and clears the counter; 0 when it was not signalled. One thread drains (the event loop's). */
    public synchronized long drain() throws ErrnoException {
        long rc = Libc.read(fd(), counter);
        if (rc == -Errno.EAGAIN) {
            return 0;
        }
        ErrnoException.check("read(eventfd)", rc);
        return counter.get(JAVA_LONG, 0);
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            Libc.close(fd);
        }
    }
}
