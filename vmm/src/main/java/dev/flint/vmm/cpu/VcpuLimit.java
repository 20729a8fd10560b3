package dev.flint.vmm.cpu;

/**
 * How many vCPUs one VM may have on this host: what KVM allows (KVM API doc 4.4,
 * {@code KVM_CAP_MAX_VCPUS}), and never more than the xAPIC topology Flint describes holds.
 *
 * @param max the most vCPUs a VM may have here
 */
public record VcpuLimit(int max) {
    /** What the KVM API says to assume when neither capability is reported. */
    static final int KVM_DEFAULT_MAX_VCPUS = 4;

    public VcpuLimit {
        if (max < 1) {
            throw new IllegalArgumentException("a vCPU limit must be at least 1, got " + max);
        }
    }

    /**
     * The limit from the values of {@code KVM_CHECK_EXTENSION(KVM_CAP_MAX_VCPUS)} and
     * {@code KVM_CHECK_EXTENSION(KVM_CAP_NR_VCPUS)}, 0 meaning not reported.
     */
    public static VcpuLimit fromCapabilities(int maxVcpus, int recommendedVcpus) {
        int kvmMax = maxVcpus > 0 ? maxVcpus : recommendedVcpus > 0 ? recommendedVcpus : KVM_DEFAULT_MAX_VCPUS;
        return new VcpuLimit(Math.min(kvmMax, CpuTopology.MAX_CPUS));
    }

    /** Fails with a message naming the limit unless {@code requested} vCPUs fit it. */
    public void require(int requested) {
        if (requested < 1 || requested > max) {
            throw new IllegalArgumentException("the VM asks for " + requested + " vCPUs, but this host allows 1 to "
                    + max + " per VM (" + (max == CpuTopology.MAX_CPUS ? "the xAPIC limit" : "KVM_CAP_MAX_VCPUS")
                    + "); give it " + max + " or fewer");
        }
    }
}
