package dev.flint.vmm.devices;

/** Plugs one device into a VM while it is being built (see {@link DeviceContext}). */
@FunctionalInterface
public interface DeviceAttacher {
    /** Attaches the device; called once, before the kernel is loaded. */
    void attach(DeviceContext context) throws Exception;
}
