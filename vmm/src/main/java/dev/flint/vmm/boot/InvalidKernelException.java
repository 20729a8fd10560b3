package dev.flint.vmm.boot;

/** The file given as a kernel is not one Flint can boot; the message says what is wrong with it. */
public final class InvalidKernelException extends Exception {
    public InvalidKernelException(String message) {
        super(message);
    }
}
