package dev.flint.vmm.cpu;

/**
 * How a guest's vCPUs are arranged: one socket of {@code cpuCount} cores, one thread per core,
 * with vCPU {@code i}'s APIC id being {@code i}. The MP table, CPUID and the vCPU threads all
 * follow this one arrangement, so the guest sees the same CPUs everywhere it looks.
 */
public record CpuTopology(int cpuCount) {
    /** xAPIC ids are 8 bits, 0xff is broadcast, and the IOAPIC takes the id after the last CPU. */
    public static final int MAX_CPUS = 254;

    public CpuTopology {
        if (cpuCount < 1 || cpuCount > MAX_CPUS) {
            throw new IllegalArgumentException("a guest has 1 to " + MAX_CPUS + " vCPUs, got " + cpuCount);
        }
    }

    /** APIC id bits that number the cores of the socket: ceil(log2(cpuCount)). */
    public int coreIdBits() {
        return 32 - Integer.numberOfLeadingZeros(cpuCount - 1);
    }

    /** Fails unless {@code apicId} is one of this topology's vCPUs. */
    public void requireApicId(int apicId) {
        if (apicId < 0 || apicId >= cpuCount) {
            throw new IllegalArgumentException("vCPU " + apicId + " does not exist in a guest of " + cpuCount
                    + " vCPUs (APIC ids 0-" + (cpuCount - 1) + ")");
        }
    }
}
