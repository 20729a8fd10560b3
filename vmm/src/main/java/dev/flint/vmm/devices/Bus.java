package dev.flint.vmm.devices;

import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * An address space of devices: the port-I/O bus or the MMIO bus. Reads nobody answers return
 * all ones, as on real hardware, and writes nobody takes are dropped; both are counted.
 *
 * <p>Devices are registered before the vCPU threads start (which publishes the map to them);
 * after that every vCPU thread reads and writes concurrently, so devices guard their own state.
 */
public final class Bus {
    private record Range(long base, long length, BusDevice device) {
        boolean contains(long address) {
            return address >= base && address - base < length;
        }
    }

    private final String name;
    private final TreeMap<Long, Range> ranges = new TreeMap<>();
    /** Every vCPU thread dispatches here at once in an SMP guest: a plain counter would lose counts. */
    private final LongAdder unclaimed = new LongAdder();

    public Bus(String name) {
        this.name = name;
    }

    /** Places {@code device} at {@code [base, base + length)}; ranges may not overlap. */
    public synchronized void register(long base, long length, BusDevice device) {
        if (length <= 0) {
            throw new IllegalArgumentException(name + " range length must be positive, got " + length);
        }
        Map.Entry<Long, Range> below = ranges.floorEntry(base + length - 1);
        if (below != null && below.getValue().base() + below.getValue().length() > base) {
            throw new IllegalArgumentException(String.format("%s range [0x%x, +0x%x) overlaps [0x%x, +0x%x)",
                    name, base, length, below.getValue().base(), below.getValue().length()));
        }
        ranges.put(base, new Range(base, length, device));
    }

    private Range find(long address) {
        Map.Entry<Long, Range> entry = ranges.floorEntry(address);
        return entry != null && entry.getValue().contains(address) ? entry.getValue() : null;
    }

    /** Dispatches a guest read; returns whether a device answered. */
    public boolean read(long address, MemorySegment data) {
        Range range = find(address);
        if (range == null) {
            data.fill((byte) 0xff);
            unclaimed.increment();
            return false;
        }
        range.device().read(address - range.base(), data);
        return true;
    }

    /** Dispatches a guest write; returns whether a device took it. */
    public boolean write(long address, MemorySegment data) {
        Range range = find(address);
        if (range == null) {
            unclaimed.increment();
            return false;
        }
        range.device().write(address - range.base(), data);
        return true;
    }

    /** Accesses that reached no device, a hint of missing emulation. */
    public long unclaimedAccesses() {
        return unclaimed.sum();
    }
}
