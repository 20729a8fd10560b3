package dev.flint.virtio.queue;

import dev.flint.virtio.VirtioDevice;
import dev.flint.vmm.memory.GuestMemory;
import dev.flint.vmm.memory.MemoryRange;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A hostile guest driver for fuzz targets: plays the fuzzer's bytes as a script against one
 * device's queues over heap memory. Each step is a chain of well-formed descriptors, a raw
 * descriptor (any address, length, flags, next), a poke into the rings, or a bare notify, so
 * the fuzzer reaches both the device's request parsing and the queue's validation.
 * Devices catch {@link VirtqueueException} themselves (they ask the driver for a reset), so
 * nothing may escape {@link #play}; and a script may not make the device allocate more than
 * {@link #ALLOCATION_BOUND} (descriptors may alias one buffer, so a small guest can claim a
 * chain far larger than its RAM).
 */
public final class FuzzGuest {
    /** Queues sit 256 KiB apart, as in {@link MockDriver}; each has 192 KiB for buffers. */
    private static final long QUEUE_SPAN = 0x40000;
    private static final int BUFFER_BUDGET = 0x28000;
    private static final int MAX_STEPS = 64;
    static final long ALLOCATION_BOUND = 64L << 20;
    /**
     * com.sun.management.ThreadMXBean#getCurrentThreadAllocatedBytes, found reflectively: the
     * tests compile inside module dev.flint.virtio, which does not read jdk.management.
     */
    private static final MethodHandle ALLOCATED = allocatedBytes();

    private final VirtioDevice device;
    private final GuestMemory memory;
    private final List<MockDriver> queues = new ArrayList<>();
    private final int queueSize;
    private final int[] spent;
    private final AtomicInteger broken = new AtomicInteger();

    private static MethodHandle allocatedBytes() {
        try {
            Class<?> beans = Class.forName("java.lang.management.ManagementFactory");
            Object threads = beans.getMethod("getThreadMXBean").invoke(null);
            Class<?> bean = Class.forName("com.sun.management.ThreadMXBean");
            return MethodHandles.publicLookup().findVirtual(bean, "getCurrentThreadAllocatedBytes",
                    MethodType.methodType(long.class)).bindTo(threads);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static long allocated() {
        try {
            return (long) ALLOCATED.invokeExact();
        } catch (Throwable e) {
            throw new IllegalStateException("cannot read this thread's allocation counter", e);
        }
    }

    /** Activates {@code device} with {@code queueSize}-entry queues and the device's own features. */
    public FuzzGuest(VirtioDevice device, int queueSize, boolean eventIdx) {
        this.device = device;
        this.queueSize = queueSize;
        int count = device.queueCount();
        this.memory = GuestMemory.onHeap(List.of(new MemoryRange(0, QUEUE_SPAN * count)));
        List<Virtqueue> rings = new ArrayList<>();
        for (int q = 0; q < count; q++) {
            MockDriver queue = new MockDriver(memory, queueSize, QUEUE_SPAN * q);
            queues.add(queue);
            rings.add(queue.queue(eventIdx));
        }
        this.spent = new int[count];
        device.activate(rings, device.features() | VirtioDevice.F_VERSION_1, new VirtioDevice.DriverSignals() {
            @Override
            public void usedBuffers() {
            }

            @Override
            public void deviceBroken() {
                broken.incrementAndGet();
            }
        });
    }

    /** The memory the guest's queues and buffers live in. */
    public GuestMemory memory() {
        return memory;
    }

    /** Posts a chain on queue {@code q} (rx buffers, say) from the same buffer budget the script uses. */
    public void post(int q, MockDriver.Part... parts) {
        for (MockDriver.Part part : parts) {
            spent[q] += (part.readable() != null ? part.readable().length : part.writable()) + 16;
        }
        if (spent[q] > BUFFER_BUDGET) {
            throw new IllegalStateException("queue " + q + " is out of buffer room");
        }
        MockDriver queue = queues.get(q);
        queue.publish(queue.chain(parts));
    }

    /** How often the device asked for a reset. */
    public int resets() {
        return broken.get();
    }

    /** Plays {@code script}; returns when it is used up. */
    public void play(byte[] script) {
        long before = allocated();
        ByteBuffer in = ByteBuffer.wrap(script);
        for (int step = 0; step < MAX_STEPS && in.remaining() >= 2; step++) {
            int op = Byte.toUnsignedInt(in.get());
            int q = Byte.toUnsignedInt(in.get()) % queues.size();
            switch (op % 4) {
                case 0 -> chain(q, in);
                case 1 -> rawDescriptor(q, in);
                case 2 -> poke(q, in);
                default -> {
                }
            }
            device.queueNotify(q);
        }
        long allocated = allocated() - before;
        if (allocated > ALLOCATION_BOUND) {
            throw new AssertionError("a " + script.length + "-byte script made the device allocate " + allocated
                    + " bytes, over the bound of " + ALLOCATION_BOUND);
        }
    }

    /** Up to four descriptors: a flags byte (bit 0: device-writable), a u16 length, readable bytes. */
    private void chain(int q, ByteBuffer in) {
        int count = 1 + (in.hasRemaining() ? Byte.toUnsignedInt(in.get()) % 4 : 0);
        List<MockDriver.Part> parts = new ArrayList<>();
        for (int i = 0; i < count && in.remaining() >= 3; i++) {
            boolean writable = (in.get() & 1) != 0;
            int length = Short.toUnsignedInt(in.getShort()) % 0x2000;
            if (spent[q] + length > BUFFER_BUDGET) {
                break;
            }
            spent[q] += length + 16;
            if (writable) {
                parts.add(MockDriver.Part.write(length));
            } else {
                byte[] bytes = new byte[Math.min(length, in.remaining())];
                in.get(bytes);
                parts.add(MockDriver.Part.read(Arrays.copyOf(bytes, length)));
            }
        }
        if (!parts.isEmpty()) {
            MockDriver queue = queues.get(q);
            queue.publish(queue.chain(parts.toArray(MockDriver.Part[]::new)));
        }
    }

    /** One descriptor written as the fuzzer says (u16 index, u32 address, u32 length, u16 flags, u16 next), then published. */
    private void rawDescriptor(int q, ByteBuffer in) {
        if (in.remaining() < 14) {
            in.position(in.limit());
            return;
        }
        MockDriver queue = queues.get(q);
        int index = Short.toUnsignedInt(in.getShort()) % queueSize;
        long address = Integer.toUnsignedLong(in.getInt());
        queue.descriptor(queue.descAddress(), index, address, in.getInt(), in.getShort(), in.getShort());
        queue.publish(index);
    }

    /** Eight bytes anywhere in the queue's rings (u16 offset into its 64 KiB of rings). */
    private void poke(int q, ByteBuffer in) {
        if (in.remaining() < 10) {
            in.position(in.limit());
            return;
        }
        long at = QUEUE_SPAN * q + (Short.toUnsignedInt(in.getShort()) % (0x10000 - 8));
        byte[] bytes = new byte[8];
        in.get(bytes);
        memory.write(at, bytes);
    }
}
