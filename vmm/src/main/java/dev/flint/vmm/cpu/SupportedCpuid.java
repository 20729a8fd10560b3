package dev.flint.vmm.cpu;

import dev.flint.vmm.kvm.CpuidEntry;
import dev.flint.vmm.kvm.Kvm;
import dev.flint.vmm.kvm.KvmIoctls;
import dev.flint.vmm.sys.ErrnoException;

import java.util.ArrayList;
import java.util.List;

/**
 * The CPUID leaves this host's KVM can present to a guest ({@code KVM_GET_SUPPORTED_CPUID}): a
 * fact of the host's CPU and kernel, the same for every VM, so asked once per process and kept.
 * The TSC-deadline timer is added where KVM emulates it, since that list never shows it.
 */
public final class SupportedCpuid {
    /** Leaf 1 ECX bit 24: the local APIC timer can fire at a TSC value. */
    static final int ECX_TSC_DEADLINE = 1 << 24;

    /** Asks KVM for the leaves. */
    @FunctionalInterface
    interface Query {
        List<CpuidEntry> ask() throws ErrnoException;
    }

    private static final SupportedCpuid PROCESS = new SupportedCpuid();

    private volatile List<CpuidEntry> leaves;

    SupportedCpuid() {
    }

    /** The leaves on this host, asked of {@code kvm} by the first VM of this process only. */
    public static List<CpuidEntry> of(Kvm kvm) throws ErrnoException {
        return PROCESS.get(() -> withTscDeadline(kvm.supportedCpuid(),
                kvm.checkExtension(KvmIoctls.KVM_CAP_TSC_DEADLINE_TIMER) > 0));
    }

    /**
     * {@code leaves} with leaf 1 offering the TSC-deadline timer when KVM emulates it. Without
     * it a guest calibrates its APIC timer against the PIT, which a loaded host (the nested rig)
     * can make fail: the guest then ticks on the PIT and costs its host far more while idle.
     * Firecracker and QEMU offer the bit the same way.
     */
    static List<CpuidEntry> withTscDeadline(List<CpuidEntry> leaves, boolean emulated) {
        if (!emulated) {
            return leaves;
        }
        List<CpuidEntry> result = new ArrayList<>(leaves.size());
        for (CpuidEntry leaf : leaves) {
            result.add(leaf.function() == CpuidNormalizer.LEAF_FEATURES ? leaf.withEcx(leaf.ecx() | ECX_TSC_DEADLINE) : leaf);
        }
        return result;
    }

    /**
     * The leaves, asked of {@code query} once: threads that come first together wait for the
     * one answer; a failure is not kept, so the next call asks again.
     */
    List<CpuidEntry> get(Query query) throws ErrnoException {
        List<CpuidEntry> known = leaves;
        if (known != null) {
            return known;
        }
        synchronized (this) {
            if (leaves == null) {
                leaves = List.copyOf(query.ask());
            }
            return leaves;
        }
    }
}
