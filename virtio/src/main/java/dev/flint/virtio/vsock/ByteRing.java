package dev.flint.virtio.vsock;

/** A bounded FIFO of bytes: a connection's buffer in one direction. Not thread-safe. */
final class ByteRing {
    private final byte[] data;
    private int head;
    private int size;

    ByteRing(int capacity) {
        this.data = new byte[capacity];
    }

    int size() {
        return size;
    }

    int capacity() {
        return data.length;
    }

    int free() {
        return data.length - size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** Appends up to {@link #free()} bytes; returns how many were taken. */
    int put(byte[] source, int offset, int length) {
        int n = Math.min(length, free());
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
}
