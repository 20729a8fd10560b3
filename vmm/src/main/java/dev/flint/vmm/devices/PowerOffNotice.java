package dev.flint.vmm.devices;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * An MMIO byte, next to the {@link BootMarker}, that Flint's guest init writes right before it
 * powers the guest off ({@code devmem 0xc0000008 8 15}, then {@code reboot(2)}, which resets
 * through the i8042 under {@code reboot=k}). It is how the VMM tells a power-off from a crash:
 * a kernel panic (with {@code panic=-1}) resets through the same i8042 port at once, and a
 * microVM has no pvpanic device to say so (Linux finds one only through ACPI or a device tree,
 * neither of which a Flint guest has). A reset that this byte did not announce is a crash.
 */
public final class PowerOffNotice implements BusDevice {
    public static final long ADDRESS = BootMarker.ADDRESS + 8;
    public static final int MAGIC = 15;

    private final Runnable onNotice;

    /** {@code onNotice} runs on each write of {@link #MAGIC}, on the vCPU thread that wrote it. */
    public PowerOffNotice(Runnable onNotice) {
        this.onNotice = onNotice;
    }

    @Override
    public void read(long offset, MemorySegment data) {
        data.fill((byte) 0);
    }

    @Override
    public void write(long offset, MemorySegment data) {
        if (offset == 0 && data.byteSize() >= 1 && Byte.toUnsignedInt(data.get(JAVA_BYTE, 0)) == MAGIC) {
            onNotice.run();
        }
    }
}
