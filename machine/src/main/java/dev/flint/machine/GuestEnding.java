package dev.flint.machine;

import dev.flint.vmm.VmExit;

/**
 * What a machine says when its guest ended by itself: the stop reason it keeps
 * ({@link MachineInfo#lastStopReason()}) and, for a crash, the message of the
 * {@link GuestCrashedException} its pending and later calls get. A crash's reason starts with
 * {@link MachineInfo#CRASHED} and names the kernel's panic line when the console has one.
 */
final class GuestEnding {
    static final int CONSOLE_LINES = 20;
    private static final String PANIC = "Kernel panic - not syncing";

    private GuestEnding() {
    }

    static boolean crashed(VmExit exit) {
        return exit.reason() == VmExit.Reason.CRASH;
    }

    /** {@code crashed: <what crashed it>}, or {@code the guest ended: <exit>} for a clean ending. */
    static String stopReason(VmExit exit, String console) {
        return crashed(exit) ? MachineInfo.CRASHED + cause(exit, console) : "the guest ended: " + exit;
    }

    /** The crash's message, with the last {@link #CONSOLE_LINES} lines of {@code console}. */
    static String crashMessage(String machine, VmExit exit, ConsoleLog console) {
        return "the guest of machine " + machine + " crashed (" + cause(exit, console) + "); the calls waiting on it"
                + " were cut short and the machine is stopped: start it again, or read its console (flint logs)."
                + " Last console lines:\n" + console.tail(CONSOLE_LINES);
    }

    /** The kernel's panic line when the console has one, else what the VMM saw. */
    private static String cause(VmExit exit, String console) {
        String panic = panicLine(console);
        return panic.isEmpty() ? exit.detail() : panic;
    }

    private static String cause(VmExit exit, ConsoleLog console) {
        return cause(exit, console.text());
    }

    /** The console's kernel panic line (from "Kernel panic", without printk's prefix or end marker), or empty. */
    static String panicLine(String console) {
        for (String line : console.split("\r?\n")) {
            int at = line.indexOf(PANIC);
            if (at >= 0) {
                String panic = line.substring(at).strip();
                return panic.endsWith("]---") ? panic.substring(0, panic.length() - 4).strip() : panic;
            }
        }
        return "";
    }
}
