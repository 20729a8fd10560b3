package dev.flint.machine;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The guest's serial console as the host keeps it: the last {@code capacity} bytes, for error
 * messages and logs, optionally copied to another stream as they come.
 */
final class ConsoleLog extends OutputStream {
    private final byte[] ring;
    private final OutputStream tee;
    private long written;

    ConsoleLog(int capacity, OutputStream tee) {
        this.ring = new byte[capacity];
        this.tee = tee;
    }

    @Override
    public synchronized void write(int b) throws IOException {
        ring[(int) (written++ % ring.length)] = (byte) b;
        if (tee != null) {
            tee.write(b);
        }
    }

    @Override
    public synchronized void flush() throws IOException {
        if (tee != null) {
            tee.flush();
        }
    }

    /** The kept bytes, oldest first, as text. */
    synchronized String text() {
        int size = (int) Math.min(written, ring.length);
        byte[] out = new byte[size];
        int start = (int) ((written - size) % ring.length);
        for (int i = 0; i < size; i++) {
            out[i] = ring[(start + i) % ring.length];
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    /** The last {@code lines} lines, for error messages. */
    String tail(int lines) {
        String[] all = text().split("\r?\n");
        int from = Math.max(0, all.length - lines);
        return String.join("\n", java.util.Arrays.copyOfRange(all, from, all.length));
    }
}
