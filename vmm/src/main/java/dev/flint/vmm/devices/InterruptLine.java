package dev.flint.vmm.devices;

/** An edge-triggered interrupt line into the guest's interrupt controller. */
@FunctionalInterface
public interface InterruptLine {
    /** Signals one interrupt edge. */
    void trigger();
}
