package dev.flint.virtio.net;

/** Where a backend puts frames for the guest. Called from the backend's own thread; must not block. */
@FunctionalInterface
public interface FrameSink {
    /** One Ethernet frame for the guest; the array is handed over and not reused by the caller. */
    void toGuest(byte[] frame);
}
