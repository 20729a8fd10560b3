package dev.flint.vmm.cpu;

import dev.flint.vmm.kvm.CpuidEntry;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns KVM's supported CPUID into what one vCPU of this guest sees: the hypervisor bit set (a
 * Linux guest that misses it skips kvmclock and hangs calibrating the TSC), the vCPU's APIC id
 * and the {@link CpuTopology} in every leaf that describes it, and the leaves Flint cannot back
 * (power management, performance monitoring) zeroed, but for the always-running APIC timer bit.
 */
public final class CpuidNormalizer {
    static final int LEAF_VENDOR = 0x0;
    static final int LEAF_FEATURES = 0x1;
    static final int LEAF_CACHE_PARAMETERS = 0x4;
    static final int LEAF_POWER_MANAGEMENT = 0x6;
    static final int LEAF_PERFORMANCE_MONITORING = 0xa;
    static final int LEAF_EXTENDED_TOPOLOGY = 0xb;
    static final int LEAF_V2_EXTENDED_TOPOLOGY = 0x1f;
    static final int LEAF_AMD_ADDRESS_SIZES = 0x8000_0008;
    static final int LEAF_AMD_EXTENDED_APIC_ID = 0x8000_001e;

    /**
     * Leaf 6 EAX[2], ARAT: the APIC timer keeps running in deep C-states. KVM's timer always does.
     * Without it Linux keeps the PIT as its boot clock and routes it through the IO-APIC and the
     * 8259 (check_timer), even with the TSC-deadline timer (apic_needs_pit): over 100 ms of a
     * boot in the rig.
     */
    static final int EAX_ARAT = 1 << 2;
    static final int ECX_HYPERVISOR = 1 << 31;
    static final int ECX_PDCM = 1 << 15;
    static final int EDX_HTT = 1 << 28;
    /** "Auth" of "AuthenticAMD" and "Hygo" of "HygonGenuine": leaf 0 EBX of the vendors whose leaf 0x80000008 ECX counts cores. */
    static final int VENDOR_AMD_EBX = 0x6874_7541;
    static final int VENDOR_HYGON_EBX = 0x6f67_7948;
    /** Leaf 4 EAX[31:26] holds "cores per package - 1" in six bits. */
    static final int LEAF4_MAX_CORES = 64;

    private CpuidNormalizer() {
    }

    /** The CPUID table for vCPU {@code apicId} of a guest with {@code cpuCount} vCPUs. */
    public static List<CpuidEntry> forVcpu(List<CpuidEntry> supported, int apicId, int cpuCount) {
        return forVcpu(supported, new CpuTopology(cpuCount), apicId);
    }

    /** The CPUID table for vCPU {@code apicId} of {@code topology}. */
    public static List<CpuidEntry> forVcpu(List<CpuidEntry> supported, CpuTopology topology, int apicId) {
        topology.requireApicId(apicId);
        int maxBasicLeaf = supported.stream().filter(e -> e.function() == LEAF_VENDOR).mapToInt(CpuidEntry::eax)
                .findFirst().orElse(0);
        boolean amd = supported.stream().anyMatch(e -> e.function() == LEAF_VENDOR
                && (e.ebx() == VENDOR_AMD_EBX || e.ebx() == VENDOR_HYGON_EBX));
        List<CpuidEntry> result = new ArrayList<>(supported.size() + 6);
        for (CpuidEntry entry : supported) {
            switch (entry.function()) {
                case LEAF_FEATURES -> result.add(features(entry, topology, apicId));
                case LEAF_CACHE_PARAMETERS -> result.add(cacheParameters(entry, topology));
                case LEAF_POWER_MANAGEMENT -> result.add(entry.withRegisters(entry.eax() & EAX_ARAT, 0, 0, 0));
                case LEAF_PERFORMANCE_MONITORING -> result.add(entry.withRegisters(0, 0, 0, 0));
                case LEAF_EXTENDED_TOPOLOGY, LEAF_V2_EXTENDED_TOPOLOGY -> {
                    // Replaced as a whole below: KVM lists the host's subleaves, not the guest's.
                }
                case LEAF_AMD_ADDRESS_SIZES -> result.add(amd ? addressSizes(entry, topology) : entry);
                case LEAF_AMD_EXTENDED_APIC_ID -> result.add(extendedApicId(entry, apicId));
                default -> result.add(entry);
            }
        }
        if (maxBasicLeaf >= LEAF_EXTENDED_TOPOLOGY) {
            result.addAll(TopologyLeaves.forVcpu(LEAF_EXTENDED_TOPOLOGY, topology, apicId));
        }
        if (maxBasicLeaf >= LEAF_V2_EXTENDED_TOPOLOGY) {
            result.addAll(TopologyLeaves.forVcpu(LEAF_V2_EXTENDED_TOPOLOGY, topology, apicId));
        }
        return result;
    }

    /** Leaf 1: APIC id in EBX[31:24], logical CPU count in EBX[23:16], HTT when there are several. */
    private static CpuidEntry features(CpuidEntry entry, CpuTopology topology, int apicId) {
        int ebx = (entry.ebx() & 0x0000_ffff) | (topology.cpuCount() << 16) | (apicId << 24);
        int ecx = (entry.ecx() | ECX_HYPERVISOR) & ~ECX_PDCM;
        int edx = topology.cpuCount() > 1 ? entry.edx() | EDX_HTT : entry.edx() & ~EDX_HTT;
        return entry.withRegisters(entry.eax(), ebx, ecx, edx);
    }

    /**
     * Leaf 4 (deterministic cache parameters), each cache subleaf: the cores in the package in
     * EAX[31:26], and who shares the cache in EAX[25:14]: one core for L1/L2, all for L3.
     */
    private static CpuidEntry cacheParameters(CpuidEntry entry, CpuTopology topology) {
        int cacheType = entry.eax() & 0x1f;
        if (cacheType == 0) {
            return entry; // the subleaf that ends the list
        }
        int level = (entry.eax() >> 5) & 0x7;
        int cores = Math.min(topology.cpuCount(), LEAF4_MAX_CORES);
        int sharing = level >= 3 ? topology.cpuCount() : 1;
        int eax = (entry.eax() & 0x3fff) | ((sharing - 1) << 14) | ((cores - 1) << 26);
        return entry.withRegisters(eax, entry.ebx(), entry.ecx(), entry.edx());
    }

    /** Leaf 0x80000008 on AMD: cores in the package - 1 in ECX[7:0], APIC id core bits in ECX[15:12]. */
    private static CpuidEntry addressSizes(CpuidEntry entry, CpuTopology topology) {
        int ecx = (entry.ecx() & ~0xf0ff) | (topology.coreIdBits() << 12) | (topology.cpuCount() - 1);
        return entry.withEcx(ecx);
    }

    /** Leaf 0x8000001E: extended APIC id in EAX, core id in EBX (one thread per core), node 0. */
    private static CpuidEntry extendedApicId(CpuidEntry entry, int apicId) {
        return entry.withRegisters(apicId, apicId & 0xff, 0, entry.edx());
    }
}
