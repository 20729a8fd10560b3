package dev.flint.virtio.blk;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The bytes behind a block device: a raw image file ({@link RawImageStore}) or a copy-on-write
 * layer over one ({@link OverlayStore}). Offsets are bytes from the start of the disk; every
 * range must lie inside {@link #capacity()} (the device checks the guest's requests first; a
 * store checks again and throws {@link IndexOutOfBoundsException}). Used from one thread at a
 * time, the device's I/O worker.
 */
public interface BlockStore extends AutoCloseable {
    /** Size of the disk in bytes: fixed for the store's life. */
    long capacity();

    /** Fills all of {@code dst}'s remaining bytes with the disk's bytes from {@code offset}. */
    void read(long offset, ByteBuffer dst) throws IOException;

    /**
     * Writes all of {@code src}'s remaining bytes at {@code offset}. They may sit in the host's
     * page cache until {@link #flush()}; a failure part way leaves the range partly written.
     */
    void write(long offset, ByteBuffer src) throws IOException;

    /**
     * Fills {@code dst[0]}, {@code dst[1]}... in turn with the disk's bytes from {@code offset}
     * (a scatter read); a store that can do it in one host call overrides this.
     */
    default void read(long offset, ByteBuffer[] dst) throws IOException {
        for (ByteBuffer buffer : dst) {
            int length = buffer.remaining();
            read(offset, buffer);
            offset += length;
        }
    }

    /** Writes {@code src[0]}, {@code src[1]}... one after another from {@code offset} (a gather write). */
    default void write(long offset, ByteBuffer[] src) throws IOException {
        for (ByteBuffer buffer : src) {
            int length = buffer.remaining();
            write(offset, buffer);
            offset += length;
        }
    }

    /**
     * Makes {@code [offset, offset + length)} read as zeros. With {@code deallocate} the store
     * frees the range's space where it can (a hole in a sparse file); without, the space stays
     * allocated, so later writes to the range cannot fail for a full host disk. Where the host
     * file system can do neither, zeros are written.
     */
    void zero(long offset, long length, boolean deallocate) throws IOException;

    /** Makes every write before it durable: after it returns, a host crash loses none of them. */
    void flush() throws IOException;

    @Override
    void close() throws IOException;
}
