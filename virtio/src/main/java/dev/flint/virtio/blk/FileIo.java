package dev.flint.virtio.blk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
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

    /** Writes {@code length} zero bytes at {@code position} through {@code store}, 1 MiB at a time. */
    static void writeZeros(BlockStore store, long position, long length) throws IOException {
        ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(length, 1 << 20));
        for (long done = 0; done < length; done += zeros.limit()) {
            zeros.clear().limit((int) Math.min(zeros.capacity(), length - done));
            store.write(position + done, zeros);
        }
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
