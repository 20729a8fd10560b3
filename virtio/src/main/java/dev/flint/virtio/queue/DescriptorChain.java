package dev.flint.virtio.queue;

import dev.flint.vmm.memory.GuestMemory;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * One request from the driver: device-readable buffers, then device-writable ones, all
 * already checked to lie inside guest RAM.
 */
public final class DescriptorChain {
    /** One guest buffer. */
    public record Buffer(long address, int length) {
    }

    private final int head;
    private final GuestMemory memory;
    private final List<Buffer> readable;
    private final List<Buffer> writable;

    DescriptorChain(int head, GuestMemory memory, List<Buffer> readable, List<Buffer> writable) {
        this.head = head;
        this.memory = memory;
        this.readable = List.copyOf(readable);
        this.writable = List.copyOf(writable);
    }

    public int head() {
        return head;
    }

    public List<Buffer> readable() {
        return readable;
    }

    public List<Buffer> writable() {
        return writable;
    }

    public long readableLength() {
        return readable.stream().mapToLong(b -> Integer.toUnsignedLong(b.length())).sum();
    }

    public long writableLength() {
        return writable.stream().mapToLong(b -> Integer.toUnsignedLong(b.length())).sum();
    }

    /** The guest memory behind {@code buffer}, for I/O straight into or out of it. */
    public MemorySegment segment(Buffer buffer) {
        return memory.slice(buffer.address(), Integer.toUnsignedLong(buffer.length()));
    }

    /**
     * All readable bytes, concatenated, or empty when the guest's buffers hold more than
     * {@code limit} bytes: the total is checked before anything is allocated, so a chain whose
     * descriptors claim gigabytes (they may all alias the same guest RAM) costs nothing.
     * Devices pass their protocol's largest request and count what is refused.
     */
    public Optional<byte[]> readAll(int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("read limit must not be negative, got " + limit);
        }
        long total = readableLength();
        if (total > limit) {
            return Optional.empty();
        }
        byte[] out = new byte[(int) total];
        int at = 0;
        for (Buffer buffer : readable) {
            MemorySegment.copy(memory.slice(buffer.address(), buffer.length()), JAVA_BYTE, 0, out, at, buffer.length());
            at += buffer.length();
        }
        return Optional.of(out);
    }

    /**
     * Writes {@code parts} one after another across the writable buffers.
     *
     * @return the bytes written; less than asked when the buffers are too small
     */
    public int write(byte[]... parts) {
        int bufferIndex = 0;
        long bufferOffset = 0;
        int written = 0;
        for (byte[] part : parts) {
            int partOffset = 0;
            while (partOffset < part.length && bufferIndex < writable.size()) {
                Buffer buffer = writable.get(bufferIndex);
                long room = Integer.toUnsignedLong(buffer.length()) - bufferOffset;
                int n = (int) Math.min(room, part.length - partOffset);
                MemorySegment.copy(part, partOffset, memory.slice(buffer.address() + bufferOffset, n), JAVA_BYTE, 0, n);
                partOffset += n;
                written += n;
                bufferOffset += n;
                if (bufferOffset == Integer.toUnsignedLong(buffer.length())) {
                    bufferIndex++;
                    bufferOffset = 0;
                }
            }
        }
        return written;
    }
}
