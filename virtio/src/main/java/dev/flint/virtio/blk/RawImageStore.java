package dev.flint.virtio.blk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A raw disk image file: disk byte N is file byte N. A writable image zeroes ranges with
 * {@link FileHoles} where its file system can, so a sparse image stays sparse.
 */
public final class RawImageStore implements BlockStore {
    private final FileChannel file;
    private final long capacity;
    /** Null when the image is read-only or the caller gave only a channel: zeros are then written. */
    private final FileHoles holes;

    /** Over an open image of {@code capacity} bytes: tests give it a channel whose host file system fails. */
    RawImageStore(FileChannel file, long capacity) {
        this(file, capacity, null);
    }

    RawImageStore(FileChannel file, long capacity, FileHoles holes) {
        this.file = file;
        this.capacity = capacity;
        this.holes = holes;
    }

    /** Opens {@code image} (a non-empty multiple of 512 bytes), read-only or read-write. */
    public static RawImageStore open(Path image, boolean readOnly) throws IOException {
        long size = FileIo.imageSize(image);
        if (readOnly) {
            return new RawImageStore(FileChannel.open(image, StandardOpenOption.READ), size);
        }
        FileChannel file = FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            return new RawImageStore(file, size, FileHoles.open(image));
        } catch (IOException | RuntimeException e) {
            file.close();
            throw e;
        }
    }

    @Override
    public long capacity() {
        return capacity;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        FileIo.checkInside(offset, dst.remaining(), capacity);
        FileIo.readFully(file, dst, offset, "disk image");
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        FileIo.checkInside(offset, src.remaining(), capacity);
        FileIo.writeFully(file, src, offset);
    }

    /** One scatter read (readv), as Linux's page-sized buffers make a host call per buffer costly. */
    @Override
    public void read(long offset, ByteBuffer[] dst) throws IOException {
        FileIo.checkInside(offset, FileIo.remaining(dst), capacity);
        FileIo.readFully(file, dst, offset, "disk image");
    }

    /** One gather write (writev). */
    @Override
    public void write(long offset, ByteBuffer[] src) throws IOException {
        FileIo.checkInside(offset, FileIo.remaining(src), capacity);
        FileIo.writeFully(file, src, offset);
    }

    @Override
    public void zero(long offset, long length, boolean deallocate) throws IOException {
        FileIo.checkInside(offset, length, capacity);
        if (holes == null || !holes.zero(offset, length, deallocate)) {
            FileIo.writeZeros(this, offset, length);
        }
    }

    @Override
    public void flush() throws IOException {
        file.force(false);
    }

    @Override
    public void close() throws IOException {
        try (file) {
            if (holes != null) {
                holes.close();
            }
        }
    }
}
