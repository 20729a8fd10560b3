package dev.flint.vmm.boot;

import dev.flint.vmm.memory.GuestMemory;
import dev.flint.vmm.memory.MemoryRange;

import java.util.ArrayList;
import java.util.List;

/** One entry of the BIOS e820 memory map the zero page hands to the kernel. */
public record E820Entry(long address, long size, int type) {
    public static final int RAM = 1;
    public static final int RESERVED = 2;
    /** Bytes per entry in {@code boot_params.e820_table}. */
    static final int SIZE = 20;

    /** The map for {@code memory}'s regions; see {@link #mapFor(List)}. */
    public static List<E820Entry> mapFor(GuestMemory memory) {
        return mapFor(memory.regions().stream().map(r -> new MemoryRange(r.guestAddress(), r.size())).toList());
    }

    /**
     * The map for RAM at {@code ranges} (as {@code X86MemoryMap} lays it out, the first starting
     * at 0): low RAM up to the EBDA, the EBDA (which holds the MP table) and BIOS area reserved up
     * to 1 MiB, then every RAM range from 1 MiB on: below the 32-bit hole, and above 4 GiB.
     */
    public static List<E820Entry> mapFor(List<MemoryRange> ranges) {
        if (ranges.isEmpty() || ranges.get(0).start() != 0 || ranges.get(0).end() < BootLayout.HIMEM_START) {
            throw new IllegalArgumentException("guest RAM must start with a range covering [0, 1 MiB), got " + ranges);
        }
        List<E820Entry> map = new ArrayList<>();
        map.add(new E820Entry(0, BootLayout.EBDA_START, RAM));
        map.add(new E820Entry(BootLayout.EBDA_START, BootLayout.HIMEM_START - BootLayout.EBDA_START, RESERVED));
        for (MemoryRange range : ranges) {
            long start = Math.max(range.start(), BootLayout.HIMEM_START);
            if (start < range.end()) {
                map.add(new E820Entry(start, range.end() - start, RAM));
            }
        }
        return map;
    }

    public long end() {
        return address + size;
    }
}
