package dev.flint.virtio.blk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * A disk image on a host file system that fills up: writes succeed until {@code room} more
 * bytes have been written, then write what still fits and fail with ENOSPC as Linux's
 * {@code pwrite} and {@code writev} do; {@code force} fails once the disk is full (a lost write-back). Reads work.
 */
final class FullDiskChannel extends FileChannel {
    private final FileChannel file;
    private long room;
    private long position;

    FullDiskChannel(FileChannel file, long room) {
        this.file = file;
        this.room = room;
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
        if (room == 0) {
            throw new IOException("No space left on device");
        }
        int fits = (int) Math.min(src.remaining(), room);
        ByteBuffer part = src.slice(src.position(), fits);
        int n = file.write(part, position);
        src.position(src.position() + n);
        room -= n;
        return n;
    }

    /** A gather write at the position, as far as there is room; ENOSPC when none is left at its start. */
    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        long done = 0;
        for (int i = offset; i < offset + length && room > 0; i++) {
            int n = write(srcs[i], position);
            position += n;
            done += n;
        }
        if (done == 0 && room == 0) {
            throw new IOException("No space left on device");
        }
        return done;
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        long n = file.position(position).read(dsts, offset, length);
        position += Math.max(n, 0);
        return n;
    }

    @Override
    public FileChannel position(long newPosition) {
        position = newPosition;
        return this;
    }

    @Override
    public void force(boolean metaData) throws IOException {
        if (room == 0) {
            throw new IOException("Input/output error");
        }
        file.force(metaData);
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        return file.read(dst, position);
    }

    @Override
    public long size() throws IOException {
        return file.size();
    }

    @Override
    protected void implCloseChannel() throws IOException {
        file.close();
    }

    // Positional, scatter and gather I/O is all the device uses; the rest is not part of the fault.
    @Override
    public int read(ByteBuffer dst) {
        throw new UnsupportedOperationException();
    }

    @Override
    public int write(ByteBuffer src) {
        throw new UnsupportedOperationException();
    }

    @Override
    public long position() {
        throw new UnsupportedOperationException();
    }

    @Override
    public FileChannel truncate(long size) {
        throw new UnsupportedOperationException();
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) {
        throw new UnsupportedOperationException();
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) {
        throw new UnsupportedOperationException();
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) {
        throw new UnsupportedOperationException();
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) {
        throw new UnsupportedOperationException();
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) {
        throw new UnsupportedOperationException();
    }
}
