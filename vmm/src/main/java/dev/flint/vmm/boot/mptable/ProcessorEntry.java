package dev.flint.vmm.boot.mptable;

import java.nio.ByteBuffer;

/**
 * A processor entry (MP spec table 4-4): one per vCPU, so the guest knows the application
 * processors exist and which local APIC id to send INIT/SIPI to.
 *
 * @param apicId       the vCPU's local APIC id
 * @param bootProcessor whether this is the bootstrap processor (vCPU 0)
 * @param signature    CPUID leaf 1 EAX (stepping, model, family)
 * @param featureFlags CPUID leaf 1 EDX
 */
public record ProcessorEntry(int apicId, boolean bootProcessor, int signature, int featureFlags) implements MpEntry {
    public static final int TYPE = 0;
    public static final int LENGTH = 20;
    /** The version KVM's in-kernel local APIC reports in its version register. */
    public static final int LOCAL_APIC_VERSION = 0x14;
    static final int FLAG_ENABLED = 1;
    static final int FLAG_BOOT_PROCESSOR = 1 << 1;

    public ProcessorEntry {
        MpTable.requireByte("local APIC id", apicId);
    }

    @Override
    public int type() {
        return TYPE;
    }

    @Override
    public int length() {
        return LENGTH;
    }

    @Override
    public void encodeTo(ByteBuffer out) {
        out.put((byte) TYPE);
        out.put((byte) apicId);
        out.put((byte) LOCAL_APIC_VERSION);
        out.put((byte) (FLAG_ENABLED | (bootProcessor ? FLAG_BOOT_PROCESSOR : 0)));
        out.putInt(signature);
        out.putInt(featureFlags);
        out.putLong(0); // reserved
    }
}
