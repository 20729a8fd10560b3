package dev.flint.virtio.vsock;

/**
 * A bounded FIFO of bytes: a connection's buffer in one direction. Its storage starts small and
 * doubles as bytes arrive, up to the capacity, so an idle connection costs a few KiB rather than
 * its whole buffer. Not thread-safe.
 */
final class ByteRing {
    static final int INITIAL_STORAGE = 4096;

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
        int n = Math.min(length, free());
        grow(size + n);
        for (int copied = 0; copied < n; ) {
            int tail = (head + size) % data.length;
            int chunk = Math.min(n - copied, data.length - tail);
            System.arraycopy(source, offset + copied, data, tail, chunk);
            size += chunk;
            copied += chunk;
        }
        return n;
    }

    /** Removes up to {@code length} bytes into {@code target}; returns how many. */
    int take(byte[] target, int offset, int length) {
        int n = Math.min(length, size);
        for (int copied = 0; copied < n; ) {
            int chunk = Math.min(n - copied, data.length - head);
            System.arraycopy(data, head, target, offset + copied, chunk);
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
