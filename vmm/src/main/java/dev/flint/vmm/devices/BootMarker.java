package dev.flint.vmm.devices;

import java.lang.foreign.MemorySegment;
import java.util.function.LongConsumer;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * An MMIO byte the guest's init writes when it starts ({@code devmem 0xc0000000 8 123}): the
 * host timestamps it, which splits boot time into "VMM and kernel" and "userspace".
 */
public final class BootMarker implements BusDevice {
    public static final long ADDRESS = 0xc000_0000L;
    public static final int MAGIC = 123;

    private final LongConsumer onMarker;

    /** {@code onMarker} gets {@link System#nanoTime()} of each write of {@link #MAGIC}. */
    public BootMarker(LongConsumer onMarker) {
        this.onMarker = onMarker;
    }

    @Override
    public void read(long offset, MemorySegment data) {
        data.fill((byte) 0);
    }

    @Override
    public void write(long offset, MemorySegment data) {
        if (offset == 0 && Byte.toUnsignedInt(data.get(JAVA_BYTE, 0)) == MAGIC) {
            onMarker.accept(System.nanoTime());
        }
    }
}
