package dev.flint.vmm.cpu;

import dev.flint.vmm.kvm.Kvm;
import dev.flint.vmm.sys.ErrnoException;

import java.util.List;

/**
 * The MSRs a vCPU snapshot saves: what {@code KVM_GET_MSR_INDEX_LIST} reports, less the ranges
 * a Flint guest cannot have, whose {@code KVM_GET_MSRS} would fail or whose values mean nothing
 * to restore. Firecracker's {@code arch/x86_64/msr.rs} filters the same list for the same
 * reasons; the ranges below are ours, each with its reason.
 */
public final class MsrsToSave {
    /** An inclusive range of MSR indices, and why it is left out. */
    record Range(int first, int last, String why) {
        boolean contains(int index) {
            return Integer.compareUnsigned(index, first) >= 0 && Integer.compareUnsigned(index, last) <= 0;
        }
    }

    static final List<Range> LEFT_OUT = List.of(
            // CpuidNormalizer zeroes leaf 0xa (no PMU): KVM refuses these counters and selectors.
            new Range(0x0c1, 0x0d2, "Intel general-purpose performance counters"),
            new Range(0x186, 0x197, "Intel performance event selectors"),
            new Range(0x309, 0x30b, "Intel fixed-function performance counters"),
            new Range(0x345, 0x345, "IA32_PERF_CAPABILITIES"),
            new Range(0x38d, 0x390, "Intel global performance counter control and status"),
            new Range(0xc000_0300, 0xc000_0303, "AMD PerfMonV2 global control and status"),
            new Range(0xc001_0000, 0xc001_0007, "AMD K7 performance event selectors and counters"),
            new Range(0xc001_0200, 0xc001_020b, "AMD family 15h performance event selectors and counters"),
            // No machine-check setup (KVM_X86_SETUP_MCE): older kernels refuse these.
            new Range(0x17a, 0x17b, "IA32_MCG_STATUS and IA32_MCG_CTL"),
            new Range(0x4d0, 0x4d0, "IA32_MCG_EXT_CTL"),
            // No nested virtualization is offered: the VMX capability MSRs are read-only facts of the host.
            new Range(0x480, 0x491, "Intel VMX capabilities"),
            // No Hyper-V enlightenments in the guest's CPUID.
            new Range(0x4000_0000, 0x4000_00ff, "Hyper-V synthetic MSRs"));

    private static volatile List<Integer> cached;

    private MsrsToSave() {
    }

    /** The MSRs to save on this host: asked of KVM once per process, then kept. */
    public static List<Integer> of(Kvm kvm) throws ErrnoException {
        List<Integer> indices = cached;
        if (indices == null) {
            indices = filter(kvm.msrIndexList());
            cached = indices;
        }
        return indices;
    }

    /** {@code reported}, in its order, without the {@link #LEFT_OUT} ranges. */
    static List<Integer> filter(List<Integer> reported) {
        return reported.stream().filter(index -> LEFT_OUT.stream().noneMatch(range -> range.contains(index))).toList();
    }
}
