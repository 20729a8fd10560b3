package dev.flint.benchmarks.agent;

import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;

/** A channel that reads the same bytes again after each {@link #rewind()}: one frame on the wire, decoded many times. */
final class ReplayChannel implements ReadableByteChannel {
    private final ByteBuffer bytes;

    ReplayChannel(ByteBuffer bytes) {
        this.bytes = bytes.asReadOnlyBuffer();
    }

    ReplayChannel rewind() {
        bytes.rewind();
        return this;
    }

    @Override
    public int read(ByteBuffer target) {
        if (!bytes.hasRemaining()) {
            return -1;
        }
        int n = Math.min(target.remaining(), bytes.remaining());
        target.put(bytes.slice(bytes.position(), n));
        bytes.position(bytes.position() + n);
        return n;
    }

    @Override
    public boolean isOpen() {
        return true;
    }

    @Override
    public void close() {
    }
}
