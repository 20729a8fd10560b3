package dev.flint.vmm.boot;

import dev.flint.vmm.memory.MemoryRange;

import java.nio.file.Path;
import java.util.List;

/**
 * A kernel file read and checked whole, nothing loaded yet: the image it becomes and the parts
 * of the file that go into guest memory. Checking it against a guest's RAM ({@link #requireFits})
 * needs no VM, so a bad kernel is refused before one exists.
 *
 * @param image    what the kernel becomes once loaded
 * @param segments the file ranges to copy, each inside the file (the readers check that)
 */
record KernelFile(KernelImage image, List<Segment> segments) {
    /**
     * {@code fileSize} bytes at {@code fileOffset} go to {@code guestAddress}; the rest of
     * {@code memorySize} reads as zero (an ELF's bss), zeroed unless the memory is fresh.
     */
    record Segment(long fileOffset, long fileSize, long guestAddress, long memorySize) {
    }

    /**
     * Checks the kernel, from its lowest segment to {@link KernelImage#end()}, lies in one RAM
     * range of the guest and above the boot structures (GDT, zero page, page tables, command
     * line, MP table), which take the first MiB.
     */
    void requireFits(Path path, List<MemoryRange> ram) throws InvalidKernelException {
        long start = segments.stream().mapToLong(Segment::guestAddress).min().orElseThrow();
        if (start < BootLayout.HIMEM_START) {
            throw new InvalidKernelException(String.format("kernel %s loads at 0x%x, inside the first MiB that Flint's"
                    + " boot structures use; link it at 1 MiB (0x%x) or above", path, start, BootLayout.HIMEM_START));
        }
        for (MemoryRange range : ram) {
            if (start >= range.start() && image.end() <= range.end()) {
                return;
            }
        }
        throw new InvalidKernelException(String.format("kernel %s needs guest memory [0x%x, 0x%x) (%d MiB), which a"
                + " guest of %d MiB does not have; give the machine more memory", path, start, image.end(),
                (image.end() + (1 << 20) - 1) >> 20, ram.stream().mapToLong(MemoryRange::size).sum() >> 20));
    }
}
