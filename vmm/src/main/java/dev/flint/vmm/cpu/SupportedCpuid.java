package dev.flint.vmm.cpu;

import dev.flint.vmm.kvm.CpuidEntry;
import dev.flint.vmm.kvm.Kvm;
import dev.flint.vmm.sys.ErrnoException;

import java.util.List;

/**
 * The CPUID leaves this host's KVM can present to a guest ({@code KVM_GET_SUPPORTED_CPUID}): a
 * fact of the host's CPU and kernel, the same for every VM, so asked once per process and kept.
 */
public final class SupportedCpuid {
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
        return PROCESS.get(kvm::supportedCpuid);
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
