package dev.flint.virtio.vsock;

/** The guest's side of a {@link VsockMuxer} in tests: sends packets as a guest would and waits for the host's. */
final class ScriptedGuest {
    static final long CID = 3;

    private final VsockMuxer muxer;

    ScriptedGuest(VsockMuxer muxer) {
        this.muxer = muxer;
    }

    /** The next packet for the guest, waiting up to 5 s for host threads to produce it. */
    VsockMuxer.Packet awaitPacket() throws InterruptedException {
        for (int i = 0; i < 500; i++) {
            VsockMuxer.Packet packet = muxer.nextForGuest(4096);
            if (packet != null) {
                return packet;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no packet for the guest");
    }

    void sends(int op, int guestPort, int hostPort, byte[] payload) {
        sends(op, guestPort, hostPort, payload, 0, 4096, 0);
    }

    void sends(int op, int guestPort, int hostPort, byte[] payload, int flags, int bufAlloc, int fwdCnt) {
        muxer.onGuestPacket(new VsockHeader(CID, VsockMuxer.HOST_CID, guestPort, hostPort, payload.length,
                VsockHeader.TYPE_STREAM, op, flags, bufAlloc, fwdCnt), payload);
    }
}
