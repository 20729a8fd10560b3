package dev.flint.virtio.fs;

import dev.flint.virtio.queue.DescriptorChain;
import dev.flint.vmm.sys.ErrnoException;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The answer to one FUSE request, written into the chain's device-writable buffers:
 * {@code struct fuse_out_header} (16 bytes: length, negative errno, unique) and the payload.
 * Operations either hand over payload bytes, or (READ) fill views of the guest's buffers
 * directly and say how much they filled.
 */
final class FuseReply {
    static final int HEADER_BYTES = 16;

    private final DescriptorChain chain;
    private long payloadLength;

    FuseReply(DescriptorChain chain) {
        this.chain = chain;
    }

    /** Whether the guest left room for at least the out header. */
    boolean hasRoomForHeader() {
        return chain.writableLength() >= HEADER_BYTES;
    }

    /** Bytes of payload the guest's buffers can take. */
    long capacity() {
        return Math.max(0, chain.writableLength() - HEADER_BYTES);
    }

    /** Sets the payload to the concatenation of {@code parts}. */
    void payload(String operation, byte[]... parts) throws ErrnoException {
        long total = 0;
        for (byte[] part : parts) {
            total += part.length;
        }
        if (total > capacity()) {
            throw new ErrnoException(operation + " reply of " + total + " bytes does not fit the guest's "
                    + capacity() + "-byte buffer", FuseErrno.ERANGE);
        }
        byte[][] all = new byte[parts.length + 1][];
        all[0] = new byte[HEADER_BYTES];
        System.arraycopy(parts, 0, all, 1, parts.length);
        chain.write(all);
        payloadLength = total;
    }

    /** Views of the guest's buffers for the first {@code length} payload bytes, to fill in place. */
    List<MemorySegment> payloadViews(long length) {
        List<MemorySegment> views = new ArrayList<>();
        long skip = HEADER_BYTES;
        long left = Math.min(length, capacity());
        for (DescriptorChain.Buffer buffer : chain.writable()) {
            if (left == 0) {
                break;
            }
            long size = Integer.toUnsignedLong(buffer.length());
            if (skip >= size) {
                skip -= size;
                continue;
            }
            long take = Math.min(size - skip, left);
            views.add(chain.segment(buffer).asSlice(skip, take));
            left -= take;
            skip = 0;
        }
        return views;
    }

    /** Records that {@code length} payload bytes were written through {@link #payloadViews}. */
    void filled(long length) {
        payloadLength = length;
    }

    /** Writes a successful out header; returns the bytes used in the chain. */
    int success(long unique) {
        return header(unique, 0, HEADER_BYTES + payloadLength);
    }

    /** Writes an error out header (no payload); returns the bytes used in the chain. */
    int error(long unique, int errno) {
        return header(unique, -errno, HEADER_BYTES);
    }

    private int header(long unique, int error, long length) {
        ByteBuffer out = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        out.putInt(0, (int) length).putInt(4, error).putLong(8, unique);
        // chain.write starts at the first writable byte, so this rewrites only the header, even across buffers.
        chain.write(out.array());
        return (int) length;
    }
}
