package dev.flint.vmm.cpu;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;

/**
 * Local APIC wiring at boot: LINT0 delivers the PIC's interrupts (ExtINT) and LINT1 is the NMI
 * line, the virtual-wire mode a guest without an MP table expects.
 */
public final class Lapic {
    static final int LVT_LINT0 = 0x350;
    static final int LVT_LINT1 = 0x360;
    static final int DELIVERY_MODE_NMI = 4;
    static final int DELIVERY_MODE_EXTINT = 7;

    private Lapic() {
    }

    /** Rewrites LINT0/LINT1 in a {@code kvm_lapic_state} register page. */
    public static void configureVirtualWire(MemorySegment lapicState) {
        setDeliveryMode(lapicState, LVT_LINT0, DELIVERY_MODE_EXTINT);
        setDeliveryMode(lapicState, LVT_LINT1, DELIVERY_MODE_NMI);
    }

    static int deliveryMode(MemorySegment lapicState, int register) {
        return (lapicState.get(JAVA_INT_UNALIGNED, register) >> 8) & 0x7;
    }

    private static void setDeliveryMode(MemorySegment lapicState, int register, int mode) {
        int value = lapicState.get(JAVA_INT_UNALIGNED, register);
        lapicState.set(JAVA_INT_UNALIGNED, register, (value & ~0x700) | (mode << 8));
    }
}
