package dev.flint.vmm.memory;

/** A range of guest-physical addresses. */
public record MemoryRange(long start, long size) {
    public MemoryRange {
        if (start < 0 || size <= 0) {
            throw new IllegalArgumentException("memory range needs start >= 0 and size > 0, got start="
                    + start + " size=" + size);
        }
    }

    public long end() {
        return start + size;
    }
}
