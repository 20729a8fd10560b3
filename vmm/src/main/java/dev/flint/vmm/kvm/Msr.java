package dev.flint.vmm.kvm;

/** One model-specific register: its index and its 64-bit value ({@code struct kvm_msr_entry}). */
public record Msr(int index, long value) {
    @Override
    public String toString() {
        return "MSR 0x" + Integer.toHexString(index) + "=0x" + Long.toHexString(value);
    }
}
