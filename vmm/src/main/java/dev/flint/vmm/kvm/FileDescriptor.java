package dev.flint.vmm.kvm;

import dev.flint.vmm.sys.ErrnoException;
import dev.flint.vmm.sys.Libc;

import java.lang.foreign.MemorySegment;

/** An owned file descriptor that is closed once; later calls see it as closed. */
abstract class FileDescriptor implements AutoCloseable {
    private final String name;
    private volatile int fd;

    FileDescriptor(String name, int fd) {
        this.name = name;
        this.fd = fd;
    }

    /** The raw descriptor; fails clearly after close. */
    protected final int fd() {
        int current = fd;
        if (current < 0) {
            throw new IllegalStateException(name + " is closed");
        }
        return current;
    }

    /** An ioctl on a struct of {@code size} bytes, after checking {@code buffer} holds that many. */
    protected final void structIoctl(String request, long number, MemorySegment buffer, long size) throws ErrnoException {
        if (buffer.byteSize() < size) {
            throw new IllegalArgumentException(request + " needs a buffer of " + size + " bytes, got " + buffer.byteSize());
        }
        ErrnoException.check("ioctl(" + request + ") on " + name, Libc.ioctl(fd(), number, buffer));
    }

    public final boolean isOpen() {
        return fd >= 0;
    }

    @Override
    public void close() {
        int current;
        synchronized (this) {
            current = fd;
            fd = -1;
        }
        if (current >= 0) {
            Libc.close(current);
        }
    }

    @Override
    public String toString() {
        return name + "(fd " + fd + ")";
    }
}
