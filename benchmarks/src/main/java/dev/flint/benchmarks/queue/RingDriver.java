package dev.flint.benchmarks.queue;

import dev.flint.virtio.queue.Virtqueue;
import dev.flint.vmm.memory.GuestMemory;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

/**
 * The guest driver's side of one split virtqueue, cut down for benchmarks: chains are written
 * once at setup and then published again and again, so a measured operation costs the driver
 * only the two stores a real driver makes (ring slot, index). The virtio module's test
 * {@code MockDriver} allocates per chain, which a benchmark loop cannot afford.
 */
public final class RingDriver {
    static final int DESC_F_NEXT = 1;
    static final int DESC_F_WRITE = 2;
    /** Rings and buffers of one queue fit in this much guest memory from its base. */
    public static final long SPAN = 256 * 1024;

    /** One descriptor of a chain: its length, and whether the device writes it. */
    public record Part(int length, boolean deviceWrites) {
        public static Part readable(int length) {
            return new Part(length, false);
        }

        public static Part writable(int length) {
            return new Part(length, true);
        }
    }

    private final GuestMemory memory;
    private final int size;
    private final MemorySegment descriptors;
    private final MemorySegment avail;
    private final MemorySegment used;
    private final long descAddress;
    private final long availAddress;
    private final long usedAddress;
    private final long span;
    private int nextDescriptor;
    private long nextBuffer;
    private int availIdx;
    private int usedSeen;

    /** A queue of {@code size} entries whose rings and buffers lie in {@code [base, base + SPAN)}. */
    public RingDriver(GuestMemory memory, int size, long base) {
        this(memory, size, base, SPAN);
    }

    /** The same with {@code span} bytes for rings and buffers (a disk's megabyte requests need more than {@link #SPAN}). */
    public RingDriver(GuestMemory memory, int size, long base, long span) {
        this.memory = memory;
        this.span = span;
        this.size = size;
        this.descAddress = base;
        this.availAddress = base + 16L * size;
        this.usedAddress = (availAddress + 6 + 2L * size + 3) & ~3L;
        this.descriptors = memory.slice(descAddress, 16L * size);
        this.avail = memory.slice(availAddress, 6 + 2L * size);
        this.used = memory.slice(usedAddress, 6 + 8L * size);
        this.nextBuffer = (usedAddress + 6 + 8L * size + 15) & ~15L;
        if (size > 1024) {
            throw new IllegalArgumentException("RingDriver's rings fit SPAN for queues up to 1024 entries");
        }
    }

    /** The device's view of this queue. */
    public Virtqueue queue(boolean eventIdx) {
        return new Virtqueue(memory, size, descAddress, availAddress, usedAddress, eventIdx);
    }

    /** Writes a chain of direct descriptors with fresh buffers and returns its head (not yet published). */
    public int chain(Part... parts) {
        int head = nextDescriptor;
        if (head + parts.length > size) {
            throw new IllegalStateException("descriptor table of " + size + " is full");
        }
        for (int i = 0; i < parts.length; i++) {
            int index = nextDescriptor++;
            boolean last = i == parts.length - 1;
            int flags = (last ? 0 : DESC_F_NEXT) | (parts[i].deviceWrites() ? DESC_F_WRITE : 0);
            long at = 16L * index;
            descriptors.set(JAVA_LONG_UNALIGNED, at, allocate(parts[i].length()));
            descriptors.set(JAVA_INT_UNALIGNED, at + 8, parts[i].length());
            descriptors.set(JAVA_SHORT_UNALIGNED, at + 12, (short) flags);
            descriptors.set(JAVA_SHORT_UNALIGNED, at + 14, (short) (last ? 0 : index + 1));
        }
        return head;
    }

    private long allocate(int length) {
        long address = nextBuffer;
        nextBuffer = (nextBuffer + length + 15) & ~15L;
        if (nextBuffer > descAddress + span) {
            throw new IllegalStateException("buffers overflow the queue's " + span + " bytes of guest memory");
        }
        return address;
    }

    /** The guest memory of descriptor {@code index}'s buffer (descriptors of a chain are consecutive from its head). */
    public MemorySegment buffer(int index) {
        long at = 16L * index;
        return memory.slice(descriptors.get(JAVA_LONG_UNALIGNED, at), descriptors.get(JAVA_INT_UNALIGNED, at + 8));
    }

    /** Puts {@code head} on the available ring and bumps the index, as a driver does before its notify. */
    public void publish(int head) {
        avail.set(JAVA_SHORT_UNALIGNED, 4 + 2L * (availIdx % size), (short) head);
        availIdx = (availIdx + 1) & 0xffff;
        // The slot (and the buffer) before the index, for a device on another thread.
        VarHandle.releaseFence();
        avail.set(JAVA_SHORT_UNALIGNED, 2, (short) availIdx);
    }

    /** The head of the next used entry the device returned, or -1 when there is none. */
    public int takeUsed() {
        int idx = Short.toUnsignedInt(used.get(JAVA_SHORT_UNALIGNED, 2));
        if (usedSeen == idx) {
            return -1;
        }
        VarHandle.acquireFence();
        int head = used.get(JAVA_INT_UNALIGNED, 4 + 8L * (usedSeen % size));
        usedSeen = (usedSeen + 1) & 0xffff;
        return head;
    }

    /** Sets the length of descriptor {@code index}'s buffer, at most what {@link #chain} gave it; before publishing. */
    public void resize(int index, int length) {
        descriptors.set(JAVA_INT_UNALIGNED, 16L * index + 8, length);
    }

    /** Length the device reported for the most recently taken used entry. */
    public int lastUsedLength() {
        return used.get(JAVA_INT_UNALIGNED, 4 + 8L * (((usedSeen - 1) & 0xffff) % size) + 4);
    }
}
