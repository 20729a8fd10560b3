package dev.flint.vmm.cpu;

import dev.flint.vmm.kvm.CpuidEntry;

import java.util.List;

/**
 * CPUID leaves 0xB and 0x1F (extended topology) for one vCPU: an SMT level of one thread, a core
 * level of all vCPUs, then the invalid level that ends the enumeration. Each subleaf carries the
 * vCPU's x2APIC id in EDX. Linux derives its core and package ids from these when they exist.
 */
final class TopologyLeaves {
    static final int LEVEL_INVALID = 0;
    static final int LEVEL_SMT = 1;
    static final int LEVEL_CORE = 2;

    private TopologyLeaves() {
    }

    /** Subleaves 0 (SMT), 1 (core) and 2 (end) of {@code leaf} for vCPU {@code apicId}. */
    static List<CpuidEntry> forVcpu(int leaf, CpuTopology topology, int apicId) {
        int flags = CpuidEntry.FLAG_SIGNIFICANT_INDEX;
        return List.of(
                // EAX: APIC id bits below the next level; EBX: logical CPUs at this level; ECX: subleaf | type << 8.
                new CpuidEntry(leaf, 0, flags, 0, 1, (LEVEL_SMT << 8), apicId),
                new CpuidEntry(leaf, 1, flags, topology.coreIdBits(), topology.cpuCount(), 1 | (LEVEL_CORE << 8), apicId),
                new CpuidEntry(leaf, 2, flags, 0, 0, 2 | (LEVEL_INVALID << 8), apicId));
    }
}
