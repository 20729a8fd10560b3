package dev.flint.virtio.vsock;

import java.util.concurrent.locks.Condition;

/**
 * One stream between a host port and a guest port: its state, the bytes buffered in each
 * direction and both sides' credit (virtio spec 5.10.6.3). Guarded by its {@link VsockMuxer}'s lock.
 */
final class VsockConnection {
    enum State { CONNECTING, ESTABLISHED, CLOSED }

    final int hostPort;
    final int guestPort;
    State state;
    /** Why the connection closed, for the host side's error messages. */
    String closeReason = "";

    /** Guest to host bytes the host application has not read yet; its capacity is our buf_alloc. */
    final ByteRing inbound;
    /** Host to guest bytes not yet sent (waiting for an rx buffer or the guest's credit). */
    final ByteRing outbound;
    /** Bytes the host application consumed: our fwd_cnt. */
    int forwarded;
    /** The fwd_cnt the guest last heard from us. */
    int forwardedAdvertised;
    /** Bytes sent to the guest: compared with the guest's fwd_cnt to get its free space. */
    int sent;
    int peerBufAlloc;
    int peerForwarded;

    boolean peerSendClosed;
    boolean peerReceiveClosed;
    boolean hostSendClosed;
    /** A SHUTDOWN(send) waits for the outbound bytes to go first. */
    boolean shutdownPending;
    boolean creditRequested;
    /** Whether it waits in the muxer's queue of connections with data for the guest. */
    boolean queuedForData;
    /** What this connection's waiters (its stream's reader, writer, closer, its connect) wait on. */
    private final Condition changed;
    /** Times its waiters were woken: tests check a packet wakes only the stream it is for. */
    long wakeups;

    VsockConnection(int hostPort, int guestPort, State state, int bufferBytes, Condition changed) {
        this.hostPort = hostPort;
        this.guestPort = guestPort;
        this.state = state;
        this.changed = changed;
        this.inbound = new ByteRing(bufferBytes);
        this.outbound = new ByteRing(bufferBytes);
    }

    /** Bytes the guest can still take from us under its last advertised credit. */
    int peerFree() {
        return peerBufAlloc - (sent - peerForwarded);
    }

    void updatePeerCredit(int bufAlloc, int fwdCnt) {
        peerBufAlloc = bufAlloc;
        peerForwarded = fwdCnt;
        if (peerFree() > 0) {
            creditRequested = false;
        }
    }

    /** Whether the guest should hear about freed space: a quarter of the buffer consumed unannounced. */
    boolean owesCreditUpdate() {
        return forwarded - forwardedAdvertised >= inbound.capacity() / 4;
    }

    /** Wakes this connection's waiters, and only them, to look at its state again. */
    void wake() {
        wakeups++;
        changed.signalAll();
    }

    /** Waits (the muxer's lock held) until {@link #wake()}. */
    void await() throws InterruptedException {
        changed.await();
    }

    /** Waits (the muxer's lock held) until {@link #wake()}, or {@code nanos} pass; returns the nanos left. */
    long await(long nanos) throws InterruptedException {
        return changed.awaitNanos(nanos);
    }

    long key() {
        return VsockMuxer.key(hostPort, guestPort);
    }
}
