package dev.flint.vmm.devices;

import java.lang.foreign.MemorySegment;

/** A device on the port-I/O or MMIO bus. Offsets are relative to the device's base address. */
public interface BusDevice {
    /** Fills {@code data} (1, 2, 4 or 8 bytes) with what the guest reads at {@code offset}. */
    void read(long offset, MemorySegment data);

    /** Takes the bytes the guest writes at {@code offset}. */
    void write(long offset, MemorySegment data);
}
