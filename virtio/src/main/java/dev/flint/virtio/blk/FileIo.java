package dev.flint.virtio.blk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Objects;

/** Whole-buffer positional reads and writes, and the checks every store shares. */
final class FileIo {
    private FileIo() {
    }

    /** Reads all of {@code dst}'s remaining bytes; {@code what} names the file in the error. */
    static void readFully(FileChannel file, ByteBuffer dst, long position, Object what) throws IOException {
        while (dst.hasRemaining()) {
            int n = file.read(dst, position);
            if (n < 0) {
                throw new IOException(what + " ended early at byte " + position);
            }
            position += n;
        }
    }

    static void writeFully(FileChannel file, ByteBuffer src, long position) throws IOException {
        while (src.hasRemaining()) {
            position += file.write(src, position);
        }
    }

    /**
     * Fills all of {@code dst}'s buffers in turn with one scatter read (readv) at the channel's
     * position, set first: a store has one user at a time, its disk's worker.
     */
    static void readFully(FileChannel file, ByteBuffer[] dst, long position, Object what) throws IOException {
        long length = remaining(dst);
        file.position(position);
        for (long done = 0; done < length; ) {
            long n = file.read(dst);   // on from the first buffer with room
            if (n < 0) {
                throw new IOException(what + " ended early at byte " + (position + done));
            }
            done += n;
        }
    }

    /** Writes all of {@code src}'s buffers one after another with one gather write (writev), as {@link #readFully(FileChannel, ByteBuffer[], long, Object)} reads. */
    static void writeFully(FileChannel file, ByteBuffer[] src, long position) throws IOException {
        long length = remaining(src);
        file.position(position);
        for (long done = 0; done < length; ) {
            done += file.write(src);
        }
    }

    /**
     * The next {@code length} bytes of {@code buffers} (from the first with room), as slices that
     * share their memory; the buffers' positions move past them.
     */
    static ByteBuffer[] take(ByteBuffer[] buffers, long length) {
        ArrayList<ByteBuffer> taken = new ArrayList<>();
        for (int i = 0; i < buffers.length && length > 0; i++) {
            ByteBuffer buffer = buffers[i];
            int n = (int) Math.min(buffer.remaining(), length);
            if (n > 0) {
                taken.add(buffer.slice(buffer.position(), n));
                buffer.position(buffer.position() + n);
                length -= n;
            }
        }
        if (length > 0) {
            throw new IndexOutOfBoundsException(length + " bytes more than the buffers hold");
        }
        return taken.toArray(ByteBuffer[]::new);
    }

    /** Writes {@code length} zero bytes at {@code position} through {@code store}, 1 MiB at a time. */
    static void writeZeros(BlockStore store, long position, long length) throws IOException {
        ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(length, 1 << 20));
        for (long done = 0; done < length; done += zeros.limit()) {
            zeros.clear().limit((int) Math.min(zeros.capacity(), length - done));
            store.write(position + done, zeros);
        }
    }

    /** The bytes left in all of {@code buffers}. */
    static long remaining(ByteBuffer[] buffers) {
        long total = 0;
        for (ByteBuffer buffer : buffers) {
            total += buffer.remaining();
        }
        return total;
    }

    static void checkInside(long offset, long length, long capacity) {
        Objects.checkFromIndexSize(offset, length, capacity);
    }

    /** The size of a disk image: a non-empty multiple of 512 bytes, or a clear error. */
    static long imageSize(Path image) throws IOException {
        if (!Files.isRegularFile(image)) {
            throw new IOException("disk image " + image + " does not exist or is not a file");
        }
        long size = Files.size(image);
        if (size == 0 || size % VirtioBlk.SECTOR != 0) {
            throw new IOException("disk image " + image + " is " + size + " bytes; it must be a non-empty multiple of 512");
        }
        return size;
    }
}
