package dev.flint.vmm.sys;

/**
 * A system call failed. The message names the call and the errno, e.g.
 * {@code ioctl(KVM_SET_USER_MEMORY_REGION) failed: EINVAL (22)}.
 */
public final class ErrnoException extends Exception {
    private final String operation;
    private final int errno;

    public ErrnoException(String operation, int errno) {
        super(operation + " failed: " + Errno.name(errno) + " (" + errno + ")");
        this.operation = operation;
        this.errno = errno;
    }

    /** The failed call as written in the message, e.g. {@code open(/dev/kvm)}. */
    public String operation() {
        return operation;
    }

    /** The positive errno value. */
    public int errno() {
        return errno;
    }

    /** Returns {@code rc} when it is not negative, else throws for {@code -rc}. */
    public static int check(String operation, int rc) throws ErrnoException {
        if (rc < 0) {
            throw new ErrnoException(operation, -rc);
        }
        return rc;
    }

    /** Returns {@code rc} when it is not negative, else throws for {@code -rc}. */
    public static long check(String operation, long rc) throws ErrnoException {
        if (rc < 0) {
            throw new ErrnoException(operation, (int) -rc);
        }
        return rc;
    }
}
