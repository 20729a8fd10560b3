package dev.flint.virtio.queue;

import dev.flint.vmm.memory.GuestMemory;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.util.Optional;
import java.util.function.ToIntFunction;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

/**
 * A split virtqueue (virtio 1.x, 2.7) seen from the device: the driver's descriptor table and
 * available ring, and the used ring the device fills. The guest's vCPUs touch the rings
 * concurrently, so the avail index is read with an acquire fence after it, the used index
 * written with a release fence before it, and full fences order our used index and our
 * avail_event against the driver's notification-suppression fields and its avail index (rings
 * may sit in heap memory in tests, where only unaligned plain access is allowed, hence fences
 * rather than acquire/release accessors).
 */
public final class Virtqueue {
    static final int DESC_F_NEXT = 1;
    static final int DESC_F_WRITE = 2;
    static final int DESC_F_INDIRECT = 4;
    static final int AVAIL_F_NO_INTERRUPT = 1;
    static final int DESCRIPTOR_SIZE = 16;

    private final GuestMemory memory;
    private final int size;
    private final MemorySegment descriptors;
    private final MemorySegment avail;
    private final MemorySegment used;
    private final boolean eventIdx;
    /**
     * Where a chain's walk collects its buffers before the chain copies them: direct descriptors
     * (fewer than the queue size) and then at most the queue size from one indirect table.
     * Only the device's thread pops, so one scratch per queue serves every walk.
     */
    private final long[] walkAddresses;
    private final int[] walkLengths;
    private int nextAvail;
    private int nextUsed;
    private int signalledUsed;
    private boolean signalledValid;

    /**
     * A queue of {@code size} entries at the given guest addresses; fails with
     * {@link VirtqueueException} when a ring lies outside guest RAM.
     */
    public Virtqueue(GuestMemory memory, int size, long descTable, long availRing, long usedRing, boolean eventIdx) {
        if (size <= 0 || size > 32768 || Integer.bitCount(size) != 1) {
            throw new VirtqueueException("queue size must be a power of two up to 32768, got " + size);
        }
        this.memory = memory;
        this.size = size;
        this.eventIdx = eventIdx;
        this.descriptors = region(descTable, (long) DESCRIPTOR_SIZE * size, "descriptor table");
        this.avail = region(availRing, 6 + 2L * size, "available ring");
        this.used = region(usedRing, 6 + 8L * size, "used ring");
        this.walkAddresses = new long[2 * size];
        this.walkLengths = new int[2 * size];
    }

    private MemorySegment region(long address, long length, String what) {
        if (!memory.contains(address, length)) {
            throw new VirtqueueException(String.format("%s at 0x%x (+0x%x) is outside guest RAM", what, address, length));
        }
        return memory.slice(address, length);
    }

    public int size() {
        return size;
    }

    /**
     * The queue's own indices for a snapshot, with the last {@code held} chains the device popped
     * but has not returned given back to the ring: the restored device pops them again (a chain
     * a device holds, such as an rx buffer waiting for data, is lost with the old process).
     */
    public VirtqueueState captureState(int held) {
        if (held < 0 || held > ((nextAvail - nextUsed) & 0xffff)) {
            throw new IllegalArgumentException("a queue with " + ((nextAvail - nextUsed) & 0xffff)
                    + " chains out cannot give back " + held);
        }
        return new VirtqueueState((nextAvail - held) & 0xffff, nextUsed, signalledUsed, signalledValid);
    }

    /**
     * Takes a saved state into this new queue over the restored guest memory. The used index the
     * device last published must be the one in the used ring, and no more chains may be out than
     * the queue holds: otherwise the state belongs to other memory.
     */
    public void applyState(VirtqueueState state) {
        int published = Short.toUnsignedInt(used.get(JAVA_SHORT_UNALIGNED, 2));
        if (published != state.nextUsed()) {
            throw new VirtqueueException("the saved used index " + state.nextUsed() + " is not the used ring's "
                    + published);
        }
        if (((state.nextAvail() - state.nextUsed()) & 0xffff) > size) {
            throw new VirtqueueException("the saved state has " + ((state.nextAvail() - state.nextUsed()) & 0xffff)
                    + " chains out in a queue of " + size);
        }
        nextAvail = state.nextAvail();
        nextUsed = state.nextUsed();
        signalledUsed = state.signalledUsed();
        signalledValid = state.signalledValid();
    }

    private int availIdx() {
        int index = Short.toUnsignedInt(avail.get(JAVA_SHORT_UNALIGNED, 2));
        VarHandle.acquireFence();
        return index;
    }

    /** The driver's avail index: how many chains it has published so far, modulo 2^16. */
    public int availableIndex() {
        return availIdx();
    }

    /** Whether the driver has published chains the device has not taken. */
    public boolean hasAvailable() {
        return availIdx() != nextAvail;
    }

    /** Takes the next available chain, validated, or empty when there is none. */
    public Optional<DescriptorChain> pop() {
        return Optional.ofNullable(take());
    }

    /** As {@link #pop()}, null when there is none: the hot paths' form, without an Optional per chain. */
    public DescriptorChain take() {
        int available = availIdx();
        int pending = (available - nextAvail) & 0xffff;
        if (pending == 0) {
            return null;
        }
        if (pending > size) {
            throw new VirtqueueException("driver claims " + pending + " available chains in a queue of " + size);
        }
        int head = Short.toUnsignedInt(avail.get(JAVA_SHORT_UNALIGNED, 4 + 2L * (nextAvail % size)));
        nextAvail = (nextAvail + 1) & 0xffff;
        if (eventIdx) {
            // avail_event: ask to be notified when the driver publishes past what we took.
            used.set(JAVA_SHORT_UNALIGNED, 4 + 8L * size, (short) nextAvail);
            // The store must be visible before the next pop reads avail.idx again: the driver
            // publishes avail.idx, fences, then reads avail_event (Dekker's pattern). Without a
            // full fence the store can wait in the store buffer past that load; both sides then
            // miss each other's write, the driver skips its notification and the device sleeps
            // on a non-empty ring (EventIdxRaceTest).
            VarHandle.fullFence();
        }
        return walk(head);
    }

    /**
     * With EVENT_IDX, asks the driver to notify the next chain it publishes even though chains it
     * published before are still untaken: {@link #take} asks only past the last chain taken, which
     * a driver with chains waiting has already passed, so it would not notify (vsock leaves its
     * event buffers there and learns from the next one that the guest handled an event).
     */
    public void notifyOnNextPublish() {
        if (eventIdx) {
            used.set(JAVA_SHORT_UNALIGNED, 4 + 8L * size, (short) availIdx());
            VarHandle.fullFence();
        }
    }

    private DescriptorChain walk(int head) {
        if (head >= size) {
            throw new VirtqueueException("chain head " + head + " is beyond the queue size " + size);
        }
        int buffers = 0;
        int readable = 0;
        MemorySegment table = descriptors;
        int tableSize = size;
        int index = head;
        boolean indirect = false;
        for (int count = 0; ; count++) {
            if (count >= tableSize) {
                throw new VirtqueueException("descriptor chain from head " + head + " loops or is longer than its table");
            }
            long at = (long) index * DESCRIPTOR_SIZE;
            long address = table.get(JAVA_LONG_UNALIGNED, at);
            int length = table.get(JAVA_INT_UNALIGNED, at + 8);
            int flags = Short.toUnsignedInt(table.get(JAVA_SHORT_UNALIGNED, at + 12));
            int next = Short.toUnsignedInt(table.get(JAVA_SHORT_UNALIGNED, at + 14));
            if ((flags & DESC_F_INDIRECT) != 0) {
                if (indirect) {
                    throw new VirtqueueException("nested indirect descriptor in chain " + head);
                }
                if (length == 0 || length % DESCRIPTOR_SIZE != 0 || (flags & DESC_F_NEXT) != 0) {
                    throw new VirtqueueException("indirect descriptor table of " + length + " bytes in chain " + head);
                }
                // No chain may be longer than the queue (spec 2.7.5.3.1): this bounds every chain we keep.
                if (Integer.toUnsignedLong(length) / DESCRIPTOR_SIZE > size) {
                    throw new VirtqueueException("indirect descriptor table of " + Integer.toUnsignedLong(length) / DESCRIPTOR_SIZE
                            + " entries in chain " + head + " is longer than the queue size " + size);
                }
                table = region(address, Integer.toUnsignedLong(length), "indirect descriptor table");
                tableSize = length / DESCRIPTOR_SIZE;
                indirect = true;
                index = 0;
                count = -1;
                continue;
            }
            long unsignedLength = Integer.toUnsignedLong(length);
            if (!memory.contains(address, unsignedLength)) {
                throw new VirtqueueException(String.format("descriptor %d of chain %d points at [0x%x, +0x%x), outside guest RAM",
                        index, head, address, unsignedLength));
            }
            if ((flags & DESC_F_WRITE) == 0) {
                if (buffers > readable) {
                    throw new VirtqueueException("chain " + head + " has a device-readable descriptor after a writable one");
                }
                readable++;
            }
            walkAddresses[buffers] = address;
            walkLengths[buffers] = length;
            buffers++;
            if ((flags & DESC_F_NEXT) == 0) {
                return new DescriptorChain(head, memory, walkAddresses, walkLengths, buffers, readable);
            }
            if (next >= tableSize) {
                throw new VirtqueueException("descriptor " + index + " of chain " + head + " links to " + next
                        + ", beyond its table of " + tableSize);
            }
            index = next;
        }
    }

    /**
     * Serves every available chain with {@code handler}, which returns how many bytes it wrote
     * into the chain, and hands each back to the driver.
     *
     * @return whether the driver wants an interrupt for them
     */
    public boolean serveAll(ToIntFunction<DescriptorChain> handler) {
        boolean used = false;
        for (DescriptorChain chain = take(); chain != null; chain = take()) {
            addUsed(chain.head(), handler.applyAsInt(chain));
            used = true;
        }
        return used && needsInterrupt();
    }

    /** Returns a chain to the driver with {@code written} bytes written into its writable buffers. */
    public void addUsed(int head, int written) {
        writeUsedEntry(head, written);
        publishUsed();
    }

    /**
     * Returns several chains at once: the driver sees all of them or none, which a frame spread
     * over merged rx buffers needs (the driver reads num_buffers from the first and takes the
     * rest right away).
     */
    public void addUsed(int[] heads, int[] written) {
        if (heads.length != written.length) {
            throw new IllegalArgumentException(heads.length + " heads but " + written.length + " lengths");
        }
        for (int i = 0; i < heads.length; i++) {
            writeUsedEntry(heads[i], written[i]);
        }
        publishUsed();
    }

    private void writeUsedEntry(int head, int written) {
        long at = 4 + 8L * (nextUsed % size);
        used.set(JAVA_INT_UNALIGNED, at, head);
        used.set(JAVA_INT_UNALIGNED, at + 4, written);
        nextUsed = (nextUsed + 1) & 0xffff;
    }

    private void publishUsed() {
        VarHandle.releaseFence();
        used.set(JAVA_SHORT_UNALIGNED, 2, (short) nextUsed);
    }

    /** Whether the driver wants an interrupt for the used entries added since the last one. */
    public boolean needsInterrupt() {
        VarHandle.fullFence();
        if (!eventIdx) {
            return (Short.toUnsignedInt(avail.get(JAVA_SHORT_UNALIGNED, 0)) & AVAIL_F_NO_INTERRUPT) == 0;
        }
        int usedEvent = Short.toUnsignedInt(avail.get(JAVA_SHORT_UNALIGNED, 4 + 2L * size));
        int old = signalledUsed;
        boolean valid = signalledValid;
        signalledUsed = nextUsed;
        signalledValid = true;
        // vring_need_event: did used.idx move past used_event since we last signalled?
        return !valid || ((nextUsed - usedEvent - 1) & 0xffff) < ((nextUsed - old) & 0xffff);
    }
}
