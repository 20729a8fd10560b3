package dev.flint.vmm.boot;

import dev.flint.vmm.memory.GuestMemory;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/**
 * Identity-mapped page tables for the first 1 GiB with 2 MiB pages: enough for the kernel to
 * run its 64-bit entry before it builds its own. CR3 points at the PML4.
 */
public final class PageTables {
    static final long PRESENT_WRITABLE = 0x03;
    static final long PAGE_SIZE_2M = 0x80;
    static final int ENTRIES = 512;

    private PageTables() {
    }

    /** Writes PML4, PDPT and PD; returns the CR3 value. */
    public static long write(GuestMemory memory) {
        MemorySegment pml4 = memory.slice(BootLayout.PML4_ADDRESS, 4096);
        MemorySegment pdpt = memory.slice(BootLayout.PDPT_ADDRESS, 4096);
        MemorySegment pd = memory.slice(BootLayout.PD_ADDRESS, 4096);
        pml4.fill((byte) 0);
        pdpt.fill((byte) 0);
        pml4.set(JAVA_LONG_UNALIGNED, 0, BootLayout.PDPT_ADDRESS | PRESENT_WRITABLE);
        pdpt.set(JAVA_LONG_UNALIGNED, 0, BootLayout.PD_ADDRESS | PRESENT_WRITABLE);
        for (int i = 0; i < ENTRIES; i++) {
            pd.set(JAVA_LONG_UNALIGNED, i * 8L, ((long) i << 21) | PAGE_SIZE_2M | PRESENT_WRITABLE);
        }
        return BootLayout.PML4_ADDRESS;
    }
}
