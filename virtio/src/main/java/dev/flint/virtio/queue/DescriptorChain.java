package dev.flint.virtio.queue;

import dev.flint.vmm.memory.GuestMemory;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
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
    /** Every buffer's guest address and length, the readable ones first. */
    private final long[] addresses;
    private final int[] lengths;
    private final int readableCount;
    private final long readableLength;
    private final long writableLength;
    private List<Buffer> readable;
    private List<Buffer> writable;

    /** A chain of the first {@code count} of these buffers (the arrays are copied), {@code readableCount} of them readable. */
    DescriptorChain(int head, GuestMemory memory, long[] addresses, int[] lengths, int count, int readableCount) {
        this.head = head;
        this.memory = memory;
        this.addresses = Arrays.copyOf(addresses, count);
        this.lengths = Arrays.copyOf(lengths, count);
        this.readableCount = readableCount;
        this.readableLength = sum(0, readableCount);
        this.writableLength = sum(readableCount, count);
    }

    private long sum(int from, int to) {
        long total = 0;
        for (int i = from; i < to; i++) {
            total += Integer.toUnsignedLong(lengths[i]);
        }
        return total;
    }

    public int head() {
        return head;
    }

    /** The device-readable buffers (built on first use: the vsock path never asks). */
    public List<Buffer> readable() {
        if (readable == null) {
            readable = buffers(0, readableCount);
        }
        return readable;
    }

    public List<Buffer> writable() {
        if (writable == null) {
            writable = buffers(readableCount, addresses.length);
        }
        return writable;
    }

    private List<Buffer> buffers(int from, int to) {
        Buffer[] buffers = new Buffer[to - from];
        for (int i = from; i < to; i++) {
            buffers[i - from] = new Buffer(addresses[i], lengths[i]);
        }
        return List.of(buffers);
    }

    public long readableLength() {
        return readableLength;
    }

    public long writableLength() {
        return writableLength;
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
        read(0, out, 0, out.length);
        return Optional.of(out);
    }

    /**
     * Copies {@code length} readable bytes from {@code offset} (counted across the readable
     * buffers, in order) into {@code target} at {@code at}: one copy, straight from guest memory.
     */
    public void read(long offset, byte[] target, int at, int length) {
        if (offset < 0 || length < 0 || offset + length > readableLength) {
            throw new IndexOutOfBoundsException("reading " + length + " bytes at " + offset + " of a chain with "
                    + readableLength + " readable bytes");
        }
        copy(0, readableCount, offset, length, target, at, false);
    }

    /**
     * Copies {@code length} bytes of {@code source} from {@code at} into the writable buffers at
     * {@code offset} (counted across them, in order); the caller checked they fit.
     */
    public void writeAt(long offset, byte[] source, int at, int length) {
        if (offset < 0 || length < 0 || offset + length > writableLength) {
            throw new IndexOutOfBoundsException("writing " + length + " bytes at " + offset + " of a chain with "
                    + writableLength + " writable bytes");
        }
        copy(readableCount, addresses.length, offset, length, source, at, true);
    }

    /** Copies between {@code bytes} and the buffers {@code [from, to)} from their logical {@code offset}. */
    private void copy(int from, int to, long offset, int length, byte[] bytes, int at, boolean intoGuest) {
        long skip = offset;
        int done = 0;
        for (int i = from; i < to && done < length; i++) {
            long size = Integer.toUnsignedLong(lengths[i]);
            if (skip >= size) {
                skip -= size;
                continue;
            }
            int n = (int) Math.min(size - skip, length - done);
            MemorySegment guest = memory.slice(addresses[i] + skip, n);
            if (intoGuest) {
                MemorySegment.copy(bytes, at + done, guest, JAVA_BYTE, 0, n);
            } else {
                MemorySegment.copy(guest, JAVA_BYTE, 0, bytes, at + done, n);
            }
            done += n;
            skip = 0;
        }
    }

    /**
     * Writes {@code parts} one after another across the writable buffers.
     *
     * @return the bytes written; less than asked when the buffers are too small
     */
    public int write(byte[]... parts) {
        long written = 0;
        for (byte[] part : parts) {
            int n = (int) Math.min(part.length, writableLength - written);
            writeAt(written, part, 0, n);
            written += n;
        }
        return (int) written;
    }
}
