package dev.flint.virtio.mmio;

import dev.flint.virtio.queue.MockDriver;
import dev.flint.vmm.memory.GuestMemory;
import dev.flint.vmm.memory.MemoryRange;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;

/** Programs a virtio-mmio transport register by register, in the order Linux's virtio_mmio does. */
final class LinuxLikeDriver {
    static final int QUEUE_SIZE = 64;

    final GuestMemory memory = GuestMemory.onHeap(List.of(new MemoryRange(0, 4 << 20)));
    final List<MockDriver> queues = new ArrayList<>();
    private final Arena arena = Arena.ofAuto();
    private VirtioMmioTransport transport;

    void attach(VirtioMmioTransport transport) {
        this.transport = transport;
    }

    int read(int offset) {
        MemorySegment data = arena.allocate(4);
        transport.read(offset, data);
        return data.get(JAVA_INT_UNALIGNED, 0);
    }

    void write(int offset, int value) {
        MemorySegment data = arena.allocate(4);
        data.set(JAVA_INT_UNALIGNED, 0, value);
        transport.write(offset, data);
    }

    /** Negotiates {@code features} and sets up every queue; returns the final status register. */
    int probe(VirtioMmioTransport transport, long features, int queueCount) {
        this.transport = transport;
        write(VirtioMmioTransport.STATUS, 0);
        write(VirtioMmioTransport.STATUS, 1);
        write(VirtioMmioTransport.STATUS, 1 | 2);
        write(VirtioMmioTransport.DRIVER_FEATURES_SEL, 0);
        write(VirtioMmioTransport.DRIVER_FEATURES, (int) features);
        write(VirtioMmioTransport.DRIVER_FEATURES_SEL, 1);
        write(VirtioMmioTransport.DRIVER_FEATURES, (int) (features >>> 32));
        write(VirtioMmioTransport.STATUS, 1 | 2 | 8);
        if ((read(VirtioMmioTransport.STATUS) & 8) == 0) {
            return read(VirtioMmioTransport.STATUS);
        }
        for (int q = 0; q < queueCount; q++) {
            MockDriver queue = new MockDriver(memory, QUEUE_SIZE, 0x40000L * q);
            queues.add(queue);
            write(VirtioMmioTransport.QUEUE_SEL, q);
            if (read(VirtioMmioTransport.QUEUE_NUM_MAX) < QUEUE_SIZE) {
                throw new AssertionError("queue " + q + " too small");
            }
            write(VirtioMmioTransport.QUEUE_NUM, QUEUE_SIZE);
            write(VirtioMmioTransport.QUEUE_DESC_LOW, (int) queue.descAddress());
            write(VirtioMmioTransport.QUEUE_DESC_HIGH, 0);
            write(VirtioMmioTransport.QUEUE_DRIVER_LOW, (int) queue.availAddress());
            write(VirtioMmioTransport.QUEUE_DRIVER_HIGH, 0);
            write(VirtioMmioTransport.QUEUE_DEVICE_LOW, (int) queue.usedAddress());
            write(VirtioMmioTransport.QUEUE_DEVICE_HIGH, 0);
            write(VirtioMmioTransport.QUEUE_READY, 1);
        }
        write(VirtioMmioTransport.STATUS, 1 | 2 | 8 | 4);
        return read(VirtioMmioTransport.STATUS);
    }
}
