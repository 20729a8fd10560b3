package dev.flint.virtio.vsock;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;

/**
 * The host's end of one vsock stream, as a blocking {@link ByteChannel}: reads wait for guest
 * data and return -1 after the guest shut down its sending side; writes wait for buffer space
 * (the guest's credit drains it).
 */
public final class VsockStream implements ByteChannel {
    private static final Duration CLOSE_DRAIN = Duration.ofSeconds(2);

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

    VsockConnection connection() {
        return connection;
    }

    @Override
    public int read(ByteBuffer target) throws IOException {
        muxer.lock.lock();
        try {
            while (true) {
                if (closed) {
                    throw new ClosedChannelException();
                }
                if (!connection.inbound.isEmpty()) {
                    int n = connection.inbound.take(target);
                    muxer.consumed(connection, n);
                    return n;
                }
                if (connection.peerSendClosed || connection.state == VsockConnection.State.CLOSED) {
                    return -1;
                }
                awaitChange();
            }
        } finally {
            muxer.lock.unlock();
        }
    }

    @Override
    public int write(ByteBuffer source) throws IOException {
        int written = 0;
        muxer.lock.lock();
        try {
            while (source.hasRemaining()) {
                if (closed || connection.hostSendClosed) {
                    throw new ClosedChannelException();
                }
                if (connection.state == VsockConnection.State.CLOSED || connection.peerReceiveClosed) {
                    throw new IOException("vsock stream to guest port " + connection.guestPort + " is closed: "
                            + (connection.closeReason.isEmpty() ? "the guest stopped receiving" : connection.closeReason));
                }
                if (connection.outbound.free() == 0) {
                    awaitChange();
                    continue;
                }
                written += connection.outbound.put(source);
                muxer.queued(connection);
            }
        } finally {
            muxer.lock.unlock();
        }
        return written;
    }

    /** Tells the guest no more data comes from the host (its reads then end); reading goes on. */
    public void shutdownOutput() {
        muxer.lock.lock();
        try {
            muxer.shutdownOutput(connection);
        } finally {
            muxer.lock.unlock();
        }
    }

    @Override
    public boolean isOpen() {
        muxer.lock.lock();
        try {
            return !closed;
        } finally {
            muxer.lock.unlock();
        }
    }

    /** Sends what is buffered (waiting up to 2 s for the guest's credit), then resets the connection. */
    @Override
    public void close() {
        muxer.lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            long deadline = System.nanoTime() + CLOSE_DRAIN.toNanos();
            while (!connection.outbound.isEmpty() && connection.state == VsockConnection.State.ESTABLISHED
                    && deadline - System.nanoTime() > 0) {
                try {
                    connection.await(deadline - System.nanoTime());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            muxer.closeFromHost(connection);
        } finally {
            muxer.lock.unlock();
        }
    }

    /** Waits, the muxer's lock held, until the muxer wakes this stream's connection. */
    private void awaitChange() throws IOException {
        try {
            connection.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while waiting on a vsock stream");
        }
    }
}
