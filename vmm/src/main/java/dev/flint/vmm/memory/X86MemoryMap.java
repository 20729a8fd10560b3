package dev.flint.vmm.memory;

import java.util.List;

/**
 * Where RAM goes in an x86-64 guest: below the 32-bit MMIO hole, and above 4 GiB for what does
 * not fit under it. The hole holds the boot marker, virtio-mmio devices, the IOAPIC and LAPIC.
 */
public final class X86MemoryMap {
    /** Start of the 32-bit MMIO hole (3 GiB, as Firecracker). */
    public static final long MMIO_HOLE_START = 0xC000_0000L;
    /** End of the 32-bit MMIO hole. */
    public static final long MMIO_HOLE_END = 0x1_0000_0000L;
    /** Smallest guest Flint boots: the kernel alone wants more than this. */
    public static final long MIN_MEMORY = 64L << 20;

    private X86MemoryMap() {
    }

    /** The RAM ranges for a guest with {@code memoryBytes} of memory. */
    public static List<MemoryRange> ramRanges(long memoryBytes) {
        if (memoryBytes < MIN_MEMORY) {
            throw new IllegalArgumentException("guest memory must be at least " + (MIN_MEMORY >> 20)
                    + " MiB, got " + (memoryBytes >> 20) + " MiB");
        }
        if (memoryBytes % 4096 != 0) {
            throw new IllegalArgumentException("guest memory must be a whole number of 4 KiB pages, got " + memoryBytes);
        }
        if (memoryBytes <= MMIO_HOLE_START) {
            return List.of(new MemoryRange(0, memoryBytes));
        }
        return List.of(new MemoryRange(0, MMIO_HOLE_START),
                new MemoryRange(MMIO_HOLE_END, memoryBytes - MMIO_HOLE_START));
    }
}
