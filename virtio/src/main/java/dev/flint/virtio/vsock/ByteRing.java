package dev.flint.virtio.vsock;

import java.nio.ByteBuffer;

/**
 * A bounded FIFO of bytes: a connection's buffer in one direction. Its storage starts small and
 * doubles as bytes arrive, up to the capacity, so an idle connection costs a few KiB rather than
 * its whole buffer. Not thread-safe.
 */
final class ByteRing {
    static final int INITIAL_STORAGE = 4096;

    /** Bytes that are copied into the ring once, from where they lie (guest memory, a caller's buffer). */
    interface Source {
        /** Copies {@code length} bytes from the source's {@code offset} into {@code target} at {@code at}. */
        void copy(long offset, byte[] target, int at, int length);
    }

    /** Where bytes taken from the ring go, in order, in one copy. */
    interface Sink {
        void accept(byte[] source, int at, int length);
    }

    private final int capacity;
    private byte[] data;
    private int head;
    private int size;

    ByteRing(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("a byte ring needs a capacity of at least 1, got " + capacity);
        }
        this.capacity = capacity;
        this.data = new byte[Math.min(capacity, INITIAL_STORAGE)];
    }

    int size() {
        return size;
    }

    int capacity() {
        return capacity;
    }

    /** Bytes of storage allocated now (at most the capacity). */
    int storage() {
        return data.length;
    }

    int free() {
        return capacity - size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** Appends up to {@link #free()} bytes; returns how many were taken. */
    int put(byte[] source, int offset, int length) {
        return put((from, target, at, n) -> System.arraycopy(source, offset + (int) from, target, at, n), length);
    }

    /** Appends up to {@link #free()} of {@code source}'s remaining bytes, straight from it; returns how many. */
    int put(ByteBuffer source) {
        int start = source.position();
        int n = put((from, target, at, length) -> source.get(start + (int) from, target, at, length), source.remaining());
        source.position(start + n);
        return n;
    }

    /** Appends up to {@link #free()} of the first {@code length} bytes of {@code source}; returns how many. */
    int put(Source source, int length) {
        int n = Math.min(length, free());
        grow(size + n);
        for (int copied = 0; copied < n; ) {
            int tail = (head + size) % data.length;
            int chunk = Math.min(n - copied, data.length - tail);
            source.copy(copied, data, tail, chunk);
            size += chunk;
            copied += chunk;
        }
        return n;
    }

    /** Removes up to {@code length} bytes into {@code target}; returns how many. */
    int take(byte[] target, int offset, int length) {
        int[] at = {offset};
        return take((source, from, n) -> {
            System.arraycopy(source, from, target, at[0], n);
            at[0] += n;
        }, length);
    }

    /** Removes up to {@code target}'s remaining bytes into it; returns how many. */
    int take(ByteBuffer target) {
        return take(target::put, target.remaining());
    }

    /** Removes up to {@code length} bytes into {@code sink}, in one or two pieces; returns how many. */
    int take(Sink sink, int length) {
        int n = Math.min(length, size);
        for (int copied = 0; copied < n; ) {
            int chunk = Math.min(n - copied, data.length - head);
            sink.accept(data, head, chunk);
            head = (head + chunk) % data.length;
            size -= chunk;
            copied += chunk;
        }
        return n;
    }

    /** Makes room for {@code needed} bytes (at most the capacity), keeping the bytes in order. */
    private void grow(int needed) {
        if (needed <= data.length) {
            return;
        }
        int length = data.length;
        while (length < needed) {
            length = (int) Math.min(capacity, 2L * length);
        }
        byte[] bigger = new byte[length];
        int held = size;
        take(bigger, 0, held);
        data = bigger;
        head = 0;
        size = held;
    }
}
