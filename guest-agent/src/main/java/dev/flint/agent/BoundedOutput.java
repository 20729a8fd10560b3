package dev.flint.agent;

import java.io.ByteArrayOutputStream;

/** Collects one output stream up to a cap, dropping the rest and remembering that it did. */
public final class BoundedOutput {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final int limit;
    private boolean truncated;

    /** Keeps at most {@code limit} bytes (positive). */
    public BoundedOutput(int limit) {
        if (limit <= 0) {
            throw new IllegalArgumentException("an output cap must be positive, got " + limit);
        }
        this.limit = limit;
    }

    public synchronized void write(byte[] chunk) {
        int room = limit - bytes.size();
        if (chunk.length > room) {
            truncated = true;
        }
        bytes.write(chunk, 0, Math.min(room, chunk.length));
    }

    public synchronized byte[] toByteArray() {
        return bytes.toByteArray();
    }

    /** Whether bytes beyond the cap were dropped. */
    public synchronized boolean truncated() {
        return truncated;
    }
}
