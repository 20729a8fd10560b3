package dev.flint.virtio.blk;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A disk in memory whose flush blocks until the test opens its gate, as an fsync on a slow host
 * disk does; it records the thread that flushed and whether it was closed during a flush.
 */
final class GatedStore implements BlockStore {
    final Semaphore flushing = new Semaphore(0);
    final CountDownLatch gate = new CountDownLatch(1);
    volatile String flushThread;
    volatile boolean closedDuringFlush;
    volatile boolean closed;
    private final byte[] disk;
    private volatile boolean inFlush;

    GatedStore(int capacity) {
        this.disk = new byte[capacity];
    }

    @Override
    public long capacity() {
        return disk.length;
    }

    @Override
    public void read(long offset, ByteBuffer dst) {
        dst.put(disk, (int) offset, dst.remaining());
    }

    @Override
    public void write(long offset, ByteBuffer src) {
        src.get(disk, (int) offset, src.remaining());
    }

    @Override
    public void zero(long offset, long length, boolean deallocate) {
        Arrays.fill(disk, (int) offset, (int) (offset + length), (byte) 0);
    }

    @Override
    public void flush() {
        inFlush = true;
        flushThread = Thread.currentThread().getName();
        flushing.release();
        try {
            if (!gate.await(10, TimeUnit.SECONDS)) {
                throw new AssertionError("the test never opened the gate");
            }
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        } finally {
            inFlush = false;
        }
    }

    @Override
    public void close() {
        closedDuringFlush |= inFlush;
        closed = true;
    }
}
