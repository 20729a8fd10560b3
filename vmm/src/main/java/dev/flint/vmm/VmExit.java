package dev.flint.vmm;

/** Why a VM stopped running. */
public record VmExit(Reason reason, String detail) {
    /** The kinds of ending, from the guest's own power-off to a crash. */
    public enum Reason {
        /**
         * The guest powered itself off: an i8042 reset (with {@code reboot=k}) that its init announced
         * through {@link dev.flint.vmm.devices.GuestSignal#POWER_OFF_ADDRESS}, or a shutdown event.
         */
        POWER_OFF,
        /** The guest halted a CPU with no interrupt controller to wake it. */
        HALT,
        /** The host asked the VM to stop. */
        STOPPED,
        /** The guest did not finish in the time the host allowed. */
        TIMEOUT,
        /**
         * The guest or KVM failed: a kernel panic or other reset its init did not announce, a triple
         * fault, an internal error, a failed entry, an unexpected exit, a device failure.
         */
        CRASH
    }

    /**
     * The ending of a guest reset through the i8042: a power-off when the guest's init announced
     * it ({@link dev.flint.vmm.devices.GuestSignal#POWER_OFF_ADDRESS}), else a crash.
     */
    public static VmExit guestReset(boolean powerOffAnnounced) {
        return powerOffAnnounced
                ? new VmExit(Reason.POWER_OFF, "guest reset through the i8042 after its init announced a power-off")
                : new VmExit(Reason.CRASH, "the guest reset without announcing a power-off (a kernel panic, or a"
                        + " reboot by something other than the guest's init)");
    }

    public boolean clean() {
        return reason == Reason.POWER_OFF || reason == Reason.HALT;
    }

    @Override
    public String toString() {
        return detail.isEmpty() ? reason.name() : reason + ": " + detail;
    }
}
