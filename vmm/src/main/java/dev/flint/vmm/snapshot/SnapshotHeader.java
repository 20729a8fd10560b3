package dev.flint.vmm.snapshot;

import dev.flint.vmm.kvm.CpuidEntry;
import dev.flint.vmm.memory.MemoryRange;

import java.util.List;

/**
 * What a snapshot says about the machine it was taken of, checked before any of its state is
 * applied: the host's CPU vendor (leaf 0 of CPUID: a snapshot restores only on the same vendor),
 * the CPUID entries the guest saw, and the guest's memory layout, which is also the layout of the
 * memory file (region i at the sum of the sizes before it).
 *
 * @param cpuVendor the host's CPUID vendor string, e.g. {@code GenuineIntel}
 * @param cpuid     the CPUID entries the guest was given
 * @param memory    the guest RAM regions, ascending and disjoint, each a whole number of pages
 */
public record SnapshotHeader(String cpuVendor, List<CpuidEntry> cpuid, List<MemoryRange> memory) {
    /** The most bytes of a vendor string (CPUID's is 12). */
    public static final int MAX_VENDOR_BYTES = 64;
    /** KVM's own limit on a vCPU's CPUID entries ({@code KVM_MAX_CPUID_ENTRIES}). */
    public static final int MAX_CPUID_ENTRIES = 256;
    public static final int MAX_MEMORY_REGIONS = 64;
    /** x86-64's largest guest-physical address width is 52 bits. */
    public static final long MAX_GUEST_ADDRESS = 1L << 52;
    static final long PAGE = 4096;

    public SnapshotHeader {
        cpuid = List.copyOf(cpuid);
        memory = List.copyOf(memory);
        String problem = vendorProblem(cpuVendor);
        if (problem == null) {
            problem = cpuid.size() > MAX_CPUID_ENTRIES ? cpuid.size() + " CPUID entries, over " + MAX_CPUID_ENTRIES : null;
        }
        if (problem == null) {
            problem = layoutProblem(memory);
        }
        if (problem != null) {
            throw new IllegalArgumentException("a snapshot header cannot hold " + problem);
        }
    }

    /** Bytes of the memory file: the sum of the regions' sizes. */
    public long memoryFileSize() {
        return memory.stream().mapToLong(MemoryRange::size).sum();
    }

    /** Why {@code vendor} cannot be a snapshot's CPU vendor, or null: printable ASCII, 1 to 64 bytes. */
    static String vendorProblem(String vendor) {
        if (vendor.isEmpty() || vendor.length() > MAX_VENDOR_BYTES
                || !vendor.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
            return "the CPU vendor \"" + vendor.replaceAll("[^\\x20-\\x7e]", "?")
                    + "\" (1 to " + MAX_VENDOR_BYTES + " printable ASCII characters)";
        }
        return null;
    }

    /** Why {@code memory} cannot be a snapshot's memory layout, or null. */
    static String layoutProblem(List<MemoryRange> memory) {
        if (memory.isEmpty() || memory.size() > MAX_MEMORY_REGIONS) {
            return memory.size() + " memory regions (1 to " + MAX_MEMORY_REGIONS + ")";
        }
        long previousEnd = 0;
        for (MemoryRange range : memory) {
            if (range.start() % PAGE != 0 || range.size() % PAGE != 0) {
                return "the memory region " + range + ", which is not page-aligned";
            }
            if (range.start() < previousEnd || range.size() > MAX_GUEST_ADDRESS - range.start()) {
                return "the memory region " + range + ", which overlaps the one before it, is out of order or ends past 2^52";
            }
            previousEnd = range.end();
        }
        return null;
    }
}
