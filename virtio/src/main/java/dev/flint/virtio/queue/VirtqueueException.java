package dev.flint.virtio.queue;

/** The driver broke the virtqueue rules; the device stops using the queue and asks for a reset. */
public final class VirtqueueException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public VirtqueueException(String message) {
        super(message);
    }
}
