package dev.flint.vmm.boot;

/**
 * The file given as a kernel (or as its initramfs) is not one Flint can boot, or does not fit
 * the guest's memory; the message says what is wrong with it and what to do.
 */
public final class InvalidKernelException extends Exception {
    public InvalidKernelException(String message) {
        super(message);
    }
}
