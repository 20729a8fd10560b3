package dev.flint.vmm;

/** Why a VM stopped running. */
public record VmExit(Reason reason, String detail) {
    /** The kinds of ending, from the guest's own power-off to a crash. */
    public enum Reason {
        /** The guest powered itself off (i8042 reset with {@code reboot=k}, or a shutdown event). */
        POWER_OFF,
        /** The guest halted a CPU with no interrupt controller to wake it. */
        HALT,
        /** The host asked the VM to stop. */
        STOPPED,
        /** The guest did not finish in the time the host allowed. */
        TIMEOUT,
        /** The guest or KVM failed: triple fault, internal error, failed entry, unexpected exit. */
        CRASH
    }

    public boolean clean() {
        return reason == Reason.POWER_OFF || reason == Reason.HALT;
    }

    @Override
    public String toString() {
        return detail.isEmpty() ? reason.name() : reason + ": " + detail;
    }
}
