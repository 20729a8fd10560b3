package dev.flint.virtio.queue;

import dev.flint.vmm.memory.GuestMemory;
import dev.flint.vmm.memory.MemoryRange;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

/**
 * The guest driver's side of one split virtqueue over heap memory, modeled on rust-vmm's
 * virtio-queue mock: writes descriptors and the available ring the way Linux does, and reads
 * the used ring back. Buffers are allocated from a bump pointer above the rings.
 */
public final class MockDriver {
    public static final long DESC = 0x1000;
    public static final long AVAIL = 0x4000;
    public static final long USED = 0x5000;

    /** One descriptor to put in a chain: bytes the device reads, or room it writes. */
    public record Part(byte[] readable, int writable) {
        public static Part read(byte[] bytes) {
            return new Part(bytes, 0);
        }

        public static Part write(int length) {
            return new Part(null, length);
        }
    }

    /** One used-ring entry. */
    public record Used(int head, int length) {
    }

    private final GuestMemory memory;
    private final int size;
    private final long desc;
    private final long avail;
    private final long used;
    private int nextDescriptor;
    private int availIdx;
    private int usedSeen;
    private long nextBuffer;

    /** One queue in 1 MiB of its own memory. */
    public MockDriver(int size) {
        this(GuestMemory.onHeap(List.of(new MemoryRange(0, 4 << 20))), size, 0);
    }

    /**
     * A queue whose rings start at {@code base} in shared {@code memory}, with 64 KiB of rings
     * and 192 KiB of buffers after them: queues of one device use bases 256 KiB apart.
     */
    public MockDriver(GuestMemory memory, int size, long base) {
        this.memory = memory;
        this.size = size;
        this.desc = base + DESC;
        this.avail = base + AVAIL;
        this.used = base + USED;
        this.nextBuffer = base + 0x10000;
    }

    public long descAddress() {
        return desc;
    }

    public long availAddress() {
        return avail;
    }

    public long usedAddress() {
        return used;
    }

    public GuestMemory memory() {
        return memory;
    }

    public Virtqueue queue(boolean eventIdx) {
        return new Virtqueue(memory, size, desc, avail, used, eventIdx);
    }

    /** Allocates guest memory for a buffer and fills it. */
    public long buffer(byte[] bytes, int length) {
        long address = nextBuffer;
        nextBuffer += (length + 15) & ~15L;
        if (bytes != null) {
            memory.write(address, bytes);
        }
        return address;
    }

    /** Writes one raw descriptor at {@code index} of the table at {@code table}. */
    public void descriptor(long table, int index, long address, int length, int flags, int next) {
        MemorySegment d = memory.slice(table + 16L * index, 16);
        d.set(JAVA_LONG_UNALIGNED, 0, address);
        d.set(JAVA_INT_UNALIGNED, 8, length);
        d.set(JAVA_SHORT_UNALIGNED, 12, (short) flags);
        d.set(JAVA_SHORT_UNALIGNED, 14, (short) next);
    }

    /** Adds a chain of direct descriptors and returns its head (not yet published). */
    public int chain(Part... parts) {
        int head = nextDescriptor;
        for (int i = 0; i < parts.length; i++) {
            Part part = parts[i];
            int index = nextDescriptor++ % size;
            boolean last = i == parts.length - 1;
            int length = part.readable() != null ? part.readable().length : part.writable();
            int flags = (last ? 0 : Virtqueue.DESC_F_NEXT) | (part.readable() == null ? Virtqueue.DESC_F_WRITE : 0);
            descriptor(desc, index, buffer(part.readable(), length), length, flags, (index + 1) % size);
        }
        return head % size;
    }

    /** Adds a chain held in an indirect table and returns its head descriptor. */
    public int indirectChain(Part... parts) {
        long table = buffer(null, 16 * parts.length);
        for (int i = 0; i < parts.length; i++) {
            Part part = parts[i];
            boolean last = i == parts.length - 1;
            int length = part.readable() != null ? part.readable().length : part.writable();
            int flags = (last ? 0 : Virtqueue.DESC_F_NEXT) | (part.readable() == null ? Virtqueue.DESC_F_WRITE : 0);
            descriptor(table, i, buffer(part.readable(), length), length, flags, i + 1);
        }
        int head = nextDescriptor++ % size;
        descriptor(desc, head, table, 16 * parts.length, Virtqueue.DESC_F_INDIRECT, 0);
        return head;
    }

    /** Puts {@code head} on the available ring and bumps the index. */
    public void publish(int head) {
        memory.slice(avail + 4 + 2L * (availIdx % size), 2).set(JAVA_SHORT_UNALIGNED, 0, (short) head);
        availIdx = (availIdx + 1) & 0xffff;
        memory.slice(avail + 2, 2).set(JAVA_SHORT_UNALIGNED, 0, (short) availIdx);
    }

    /**
     * Publishes {@code head} as Linux's virtqueue_kick_prepare does with EVENT_IDX: returns
     * whether the device asked to be notified of it (avail_event within what this publish added).
     */
    public boolean publishAndAskNotify(int head) {
        int old = availIdx;
        publish(head);
        return ((availIdx - availEvent() - 1) & 0xffff) < ((availIdx - old) & 0xffff);
    }

    /** Sets the available ring's index directly (to test wraparound). */
    public void startAt(int index) {
        availIdx = index;
        usedSeen = index;
        memory.slice(avail + 2, 2).set(JAVA_SHORT_UNALIGNED, 0, (short) index);
    }

    /** avail.flags: VRING_AVAIL_F_NO_INTERRUPT when {@code suppress}. */
    public void suppressInterrupts(boolean suppress) {
        memory.slice(avail, 2).set(JAVA_SHORT_UNALIGNED, 0, (short) (suppress ? 1 : 0));
    }

    /** used_event (the avail ring's trailing field, with EVENT_IDX). */
    public void usedEvent(int index) {
        memory.slice(avail + 4 + 2L * size, 2).set(JAVA_SHORT_UNALIGNED, 0, (short) index);
    }

    /** avail_event as the device published it (the used ring's trailing field). */
    public int availEvent() {
        return Short.toUnsignedInt(memory.slice(used + 4 + 8L * size, 2).get(JAVA_SHORT_UNALIGNED, 0));
    }

    /** Used entries the device added since the last call. */
    public List<Used> used() {
        int idx = Short.toUnsignedInt(memory.slice(used + 2, 2).get(JAVA_SHORT_UNALIGNED, 0));
        List<Used> entries = new ArrayList<>();
        while (usedSeen != idx) {
            MemorySegment e = memory.slice(used + 4 + 8L * (usedSeen % size), 8);
            entries.add(new Used(e.get(JAVA_INT_UNALIGNED, 0), e.get(JAVA_INT_UNALIGNED, 4)));
            usedSeen = (usedSeen + 1) & 0xffff;
        }
        return entries;
    }

    /** The bytes at guest {@code address}. */
    public byte[] read(long address, int length) {
        return memory.slice(address, length).toArray(JAVA_BYTE);
    }

    /** Address of descriptor {@code index}'s buffer in the main table. */
    public long bufferOf(int index) {
        return memory.slice(desc + 16L * index, 8).get(JAVA_LONG_UNALIGNED, 0);
    }
}
