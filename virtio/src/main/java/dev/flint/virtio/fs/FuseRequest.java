package dev.flint.virtio.fs;

import dev.flint.virtio.queue.DescriptorChain;
import dev.flint.vmm.sys.ErrnoException;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * One FUSE request as the guest laid it out in the device-readable buffers of a chain: the
 * {@link FuseInHeader}, then the opcode's arguments, read front to back. Fixed argument
 * structs and names are copied out (they are small); bulk WRITE data is handed out as views of
 * guest memory so it reaches the host file without a copy. Reading past what the guest sent is
 * EINVAL: the request was short or malformed.
 */
final class FuseRequest {
    /** Longest name or symlink target we accept, NUL included (PATH_MAX). */
    static final int MAX_STRING = 4096;

    private final DescriptorChain chain;
    private final FuseInHeader header;
    private final long end;
    private long position;

    private FuseRequest(DescriptorChain chain, FuseInHeader header, long end) {
        this.chain = chain;
        this.header = header;
        this.end = end;
        this.position = FuseInHeader.BYTES;
    }

    /**
     * Reads the header of the request in {@code chain}; null when the chain holds less than a
     * header, which leaves nothing to answer (no unique id).
     */
    static FuseRequest parse(DescriptorChain chain) {
        if (chain.readableLength() < FuseInHeader.BYTES) {
            return null;
        }
        ByteBuffer bytes = ByteBuffer.allocate(FuseInHeader.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        copy(chain, 0, bytes.array(), FuseInHeader.BYTES);
        FuseInHeader header = FuseInHeader.decode(bytes);
        // The header's own length bounds the arguments; a header claiming more than was sent is checked by readers.
        long end = Math.min(header.length(), chain.readableLength());
        return new FuseRequest(chain, header, Math.max(end, FuseInHeader.BYTES));
    }

    FuseInHeader header() {
        return header;
    }

    /** Whether the header's length matches the bytes the guest actually sent. */
    boolean lengthConsistent() {
        return header.length() >= FuseInHeader.BYTES && header.length() <= chain.readableLength();
    }

    long remaining() {
        return end - position;
    }

    private ErrnoException shortRequest(String what, long wanted) {
        return new ErrnoException(FuseOpcode.name(header.opcode()) + " request: " + what + " needs " + wanted
                + " bytes but only " + remaining() + " remain", FuseErrno.EINVAL);
    }

    /** The next {@code size} bytes as a little-endian buffer (a fixed argument struct). */
    ByteBuffer struct(String what, int size) throws ErrnoException {
        if (remaining() < size) {
            throw shortRequest(what, size);
        }
        byte[] bytes = new byte[size];
        copy(chain, position, bytes, size);
        position += size;
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Skips {@code size} bytes of a struct whose fields we do not use. */
    void skip(String what, int size) throws ErrnoException {
        if (remaining() < size) {
            throw shortRequest(what, size);
        }
        position += size;
    }

    /** The next NUL-terminated string, decoded as UTF-8 (names that are not valid UTF-8 are refused). */
    String string(String what) throws ErrnoException {
        int window = (int) Math.min(remaining(), MAX_STRING);
        byte[] bytes = new byte[window];
        copy(chain, position, bytes, window);
        int nul = 0;
        while (nul < window && bytes[nul] != 0) {
            nul++;
        }
        if (nul == window) {
            throw new ErrnoException(FuseOpcode.name(header.opcode()) + " request: " + what
                    + " is not NUL-terminated within " + window + " bytes", window == MAX_STRING
                    ? FuseErrno.ENAMETOOLONG : FuseErrno.EINVAL);
        }
        position += nul + 1;
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, 0, nul)).toString();
        } catch (CharacterCodingException e) {
            throw new ErrnoException(FuseOpcode.name(header.opcode()) + " request: " + what
                    + " is not valid UTF-8", FuseErrno.EINVAL);
        }
    }

    /** Views of guest memory for the next {@code length} bytes (WRITE data), without copying them. */
    List<MemorySegment> bulk(String what, long length) throws ErrnoException {
        if (remaining() < length) {
            throw shortRequest(what, length);
        }
        List<MemorySegment> views = new ArrayList<>();
        long skip = position;
        long left = length;
        for (DescriptorChain.Buffer buffer : chain.readable()) {
            long size = Integer.toUnsignedLong(buffer.length());
            if (skip >= size) {
                skip -= size;
                continue;
            }
            long take = Math.min(size - skip, left);
            if (take > 0) {
                views.add(chain.segment(buffer).asSlice(skip, take));
            }
            left -= take;
            skip = 0;
            if (left == 0) {
                break;
            }
        }
        position += length;
        return views;
    }

    /** Copies {@code length} readable bytes starting at logical offset {@code from} into {@code into}. */
    private static void copy(DescriptorChain chain, long from, byte[] into, int length) {
        int done = 0;
        long skip = from;
        for (DescriptorChain.Buffer buffer : chain.readable()) {
            if (done == length) {
                return;
            }
            long size = Integer.toUnsignedLong(buffer.length());
            if (skip >= size) {
                skip -= size;
                continue;
            }
            int take = (int) Math.min(size - skip, length - done);
            MemorySegment.copy(chain.segment(buffer), JAVA_BYTE, skip, into, done, take);
            done += take;
            skip = 0;
        }
    }
}
