package dev.flint.virtio.vsock;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.ClosedChannelException;

/**
 * The host's end of one vsock stream, as a blocking {@link ByteChannel}: reads wait for guest
 * data and return -1 after the guest shut down its sending side; writes wait for buffer space
 * (the guest's credit drains it).
 */
public final class VsockStream implements ByteChannel {
    private static final long CLOSE_DRAIN_MILLIS = 2_000;

    private final VsockMuxer muxer;
    private final VsockConnection connection;
    private boolean closed;

    VsockStream(VsockMuxer muxer, VsockConnection connection) {
        this.muxer = muxer;
        this.connection = connection;
    }

    public int hostPort() {
        return connection.hostPort;
    }

    public int guestPort() {
        return connection.guestPort;
    }

    @Override
    public int read(ByteBuffer target) throws IOException {
        synchronized (muxer) {
            while (true) {
                if (closed) {
                    throw new ClosedChannelException();
                }
                if (!connection.inbound.isEmpty()) {
                    int n = Math.min(target.remaining(), connection.inbound.size());
                    byte[] chunk = new byte[n];
                    connection.inbound.take(chunk, 0, n);
                    target.put(chunk);
                    muxer.consumed(connection, n);
                    return n;
                }
                if (connection.peerSendClosed || connection.state == VsockConnection.State.CLOSED) {
                    return -1;
                }
                waitOn(muxer);
            }
        }
    }

    @Override
    public int write(ByteBuffer source) throws IOException {
        int written = 0;
        synchronized (muxer) {
            while (source.hasRemaining()) {
                if (closed || connection.hostSendClosed) {
                    throw new ClosedChannelException();
                }
                if (connection.state == VsockConnection.State.CLOSED || connection.peerReceiveClosed) {
                    throw new IOException("vsock stream to guest port " + connection.guestPort + " is closed: "
                            + (connection.closeReason.isEmpty() ? "the guest stopped receiving" : connection.closeReason));
                }
                int n = Math.min(source.remaining(), connection.outbound.free());
                if (n == 0) {
                    waitOn(muxer);
                    continue;
                }
                byte[] chunk = new byte[n];
                source.get(chunk);
                connection.outbound.put(chunk, 0, n);
                written += n;
                muxer.queued(connection);
            }
        }
        return written;
    }

    /** Tells the guest no more data comes from the host (its reads then end); reading goes on. */
    public void shutdownOutput() {
        synchronized (muxer) {
            muxer.shutdownOutput(connection);
        }
    }

    @Override
    public boolean isOpen() {
        synchronized (muxer) {
            return !closed;
        }
    }

    /** Sends what is buffered (waiting up to 2 s for the guest's credit), then resets the connection. */
    @Override
    public void close() {
        synchronized (muxer) {
            if (closed) {
                return;
            }
            closed = true;
            long deadline = System.currentTimeMillis() + CLOSE_DRAIN_MILLIS;
            while (!connection.outbound.isEmpty() && connection.state == VsockConnection.State.ESTABLISHED
                    && System.currentTimeMillis() < deadline) {
                try {
                    muxer.wait(Math.max(1, deadline - System.currentTimeMillis()));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            muxer.closeFromHost(connection);
        }
    }

    private static void waitOn(Object monitor) throws IOException {
        try {
            monitor.wait();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while waiting on a vsock stream");
        }
    }
}
