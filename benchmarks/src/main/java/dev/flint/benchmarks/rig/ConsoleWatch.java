package dev.flint.benchmarks.rig;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A guest console that notes the moment a line containing {@code text} is complete, and copies
 * every byte to {@code copy}. The VMM's serial device writes to it from the vCPU thread, so the
 * work per byte stays small.
 */
final class ConsoleWatch extends OutputStream {
    private final byte[] text;
    private final OutputStream copy;
    private final CountDownLatch seen = new CountDownLatch(1);
    private final StringBuilder line = new StringBuilder();
    private volatile long seenAtNanos;

    ConsoleWatch(String text, OutputStream copy) {
        this.text = text.getBytes(StandardCharsets.UTF_8);
        this.copy = copy;
    }

    @Override
    public synchronized void write(int b) throws IOException {
        copy.write(b);
        if (b == '\n') {
            if (seenAtNanos == 0 && contains(line)) {
                seenAtNanos = System.nanoTime();
                copy.flush();
                seen.countDown();
            }
            line.setLength(0);
        } else if (line.length() < 4096) {
            line.append((char) (b & 0xff));
        }
    }

    @Override
    public synchronized void write(byte[] bytes, int offset, int length) throws IOException {
        for (int i = 0; i < length; i++) {
            write(bytes[offset + i]);
        }
    }

    @Override
    public synchronized void flush() throws IOException {
        copy.flush();
    }

    private boolean contains(StringBuilder candidate) {
        return candidate.toString().contains(new String(text, StandardCharsets.ISO_8859_1));
    }

    /** The {@link System#nanoTime()} at which the line ended; fails after {@code timeout}. */
    long await(Duration timeout) throws InterruptedException {
        if (!seen.await(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
            throw new IllegalStateException("no console line containing '" + new String(text, StandardCharsets.UTF_8)
                    + "' within " + timeout.toSeconds() + " s; the guest did not come up (its console is above)");
        }
        return seenAtNanos;
    }
}
