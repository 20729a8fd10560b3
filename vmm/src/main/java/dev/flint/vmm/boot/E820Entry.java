package dev.flint.vmm.boot;

import dev.flint.vmm.memory.GuestMemory;

import java.util.ArrayList;
import java.util.List;

/** One entry of the BIOS e820 memory map the zero page hands to the kernel. */
public record E820Entry(long address, long size, int type) {
    public static final int RAM = 1;
    public static final int RESERVED = 2;
    /** Bytes per entry in {@code boot_params.e820_table}. */
    static final int SIZE = 20;

    /**
     * The map for {@code memory}: low RAM up to the EBDA, the EBDA and BIOS area reserved up to
     * 1 MiB, then every RAM region from 1 MiB on.
     */
    public static List<E820Entry> mapFor(GuestMemory memory) {
        List<E820Entry> map = new ArrayList<>();
        map.add(new E820Entry(0, BootLayout.EBDA_START, RAM));
        map.add(new E820Entry(BootLayout.EBDA_START, BootLayout.HIMEM_START - BootLayout.EBDA_START, RESERVED));
        for (GuestMemory.Region region : memory.regions()) {
            long start = Math.max(region.guestAddress(), BootLayout.HIMEM_START);
            if (start < region.end()) {
                map.add(new E820Entry(start, region.end() - start, RAM));
            }
        }
        return map;
    }
}
