package dev.flint.vmm.cpu;

import dev.flint.vmm.kvm.CpuidEntry;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns KVM's supported CPUID into what one vCPU of this guest sees: the hypervisor bit set (a
 * Linux guest that misses it skips kvmclock and hangs calibrating the TSC), the vCPU's APIC id
 * and the logical CPU count in place, and the leaves Flint cannot back (power management,
 * performance monitoring) zeroed.
 */
public final class CpuidNormalizer {
    static final int LEAF_FEATURES = 0x1;
    static final int LEAF_POWER_MANAGEMENT = 0x6;
    static final int LEAF_PERFORMANCE_MONITORING = 0xa;
    static final int LEAF_EXTENDED_TOPOLOGY = 0xb;
    static final int LEAF_V2_EXTENDED_TOPOLOGY = 0x1f;
    static final int LEAF_AMD_EXTENDED_APIC_ID = 0x8000_001e;

    static final int ECX_HYPERVISOR = 1 << 31;
    static final int ECX_PDCM = 1 << 15;
    static final int EDX_HTT = 1 << 28;

    private CpuidNormalizer() {
    }

    /** The CPUID table for vCPU {@code apicId} of a guest with {@code cpuCount} vCPUs. */
    public static List<CpuidEntry> forVcpu(List<CpuidEntry> supported, int apicId, int cpuCount) {
        if (apicId < 0 || apicId > 254 || cpuCount < 1 || cpuCount > 255 || apicId >= cpuCount) {
            throw new IllegalArgumentException("vCPU " + apicId + " of " + cpuCount + " is not a valid xAPIC topology");
        }
        List<CpuidEntry> result = new ArrayList<>(supported.size());
        for (CpuidEntry entry : supported) {
            result.add(switch (entry.function()) {
                case LEAF_FEATURES -> features(entry, apicId, cpuCount);
                case LEAF_POWER_MANAGEMENT, LEAF_PERFORMANCE_MONITORING -> entry.withRegisters(0, 0, 0, 0);
                case LEAF_EXTENDED_TOPOLOGY, LEAF_V2_EXTENDED_TOPOLOGY -> entry.withEdx(apicId);
                case LEAF_AMD_EXTENDED_APIC_ID -> entry.withRegisters(apicId, entry.ebx(), entry.ecx(), entry.edx());
                default -> entry;
            });
        }
        return result;
    }

    private static CpuidEntry features(CpuidEntry entry, int apicId, int cpuCount) {
        int ebx = (entry.ebx() & 0x0000_ffff) | (cpuCount << 16) | (apicId << 24);
        int ecx = (entry.ecx() | ECX_HYPERVISOR) & ~ECX_PDCM;
        int edx = cpuCount > 1 ? entry.edx() | EDX_HTT : entry.edx();
        return entry.withRegisters(entry.eax(), ebx, ecx, edx);
    }
}
