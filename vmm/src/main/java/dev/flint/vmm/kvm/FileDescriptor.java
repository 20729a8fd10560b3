package dev.flint.vmm.kvm;

import dev.flint.vmm.sys.Libc;

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
