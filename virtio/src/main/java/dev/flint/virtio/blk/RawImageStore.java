package dev.flint.virtio.blk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** A raw disk image file: disk byte N is file byte N. */
public final class RawImageStore implements BlockStore {
    private final FileChannel file;
    private final long capacity;

    /** Over an open image of {@code capacity} bytes: tests give it a channel whose host file system fails. */
    RawImageStore(FileChannel file, long capacity) {
        this.file = file;
        this.capacity = capacity;
    }

    /** Opens {@code image} (a non-empty multiple of 512 bytes), read-only or read-write. */
    public static RawImageStore open(Path image, boolean readOnly) throws IOException {
        long size = FileIo.imageSize(image);
        FileChannel file = readOnly ? FileChannel.open(image, StandardOpenOption.READ)
                : FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE);
        return new RawImageStore(file, size);
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

    @Override
    public void flush() throws IOException {
        file.force(false);
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
