package dev.flint.virtio.net;

/**
 * The host side of a guest NIC: takes the Ethernet frames the guest sends and produces the ones
 * it receives. {@link VirtioNet} starts it once and closes it at teardown; {@link #send} is called
 * on the VM's event loop and must not block (a backend that cannot take a frame now drops and
 * counts it, as a real link would).
 */
public interface NetBackend extends AutoCloseable {
    /** Begins delivering frames for the guest to {@code toGuest}; called once. */
    void start(FrameSink toGuest);

    /**
     * One Ethernet frame from the guest (virtio header already stripped). The backend may hold
     * it back until {@link #flush}: the device sends a whole tx burst, then flushes once.
     */
    void send(byte[] frame, int offset, int length);

    /** The burst of {@link #send}s is over: act on them now (one wakeup per burst, not per frame). */
    default void flush() {
    }

    /** Counts so far, for diagnostics and tests. */
    BackendStats stats();

    /** Stops producing frames and frees what the backend holds. */
    @Override
    void close();
}
