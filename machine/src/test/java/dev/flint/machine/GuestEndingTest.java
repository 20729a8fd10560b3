package dev.flint.machine;

import dev.flint.vmm.VmExit;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GuestEndingTest {
    private static final String PANIC_CONSOLE = """
            flint-agent: ready (vsock port 1024)
            [    3.141592] sysrq: Trigger a crash
            [    3.141600] Kernel panic - not syncing: sysrq triggered crash
            [    3.141700] CPU: 0 PID: 42 Comm: sh Not tainted 6.1.0 #1
            [    3.141800] Call Trace:
            """;

    private static ConsoleLog console(String text) throws IOException {
        ConsoleLog log = new ConsoleLog(64 * 1024, null);
        log.write(text.getBytes(StandardCharsets.UTF_8));
        return log;
    }

    private static MachineInfo stoppedBecause(String reason) {
        return new MachineInfo("m", MachineState.STOPPED, 1, 128, 0, List.of(), Optional.empty(), List.of(), Map.of(),
                Instant.EPOCH, Optional.empty(), Optional.empty(), Optional.of(reason), "m-aaaaaaaaaaaaaaaa");
    }

    @Test
    void aPanicIsNamedByTheKernelsOwnLine() {
        assertEquals("Kernel panic - not syncing: sysrq triggered crash", GuestEnding.panicLine(PANIC_CONSOLE));
        assertEquals("Kernel panic - not syncing: Out of memory", GuestEnding.panicLine(
                "[ 9.0] ---[ end Kernel panic - not syncing: Out of memory ]---\r\n"));
        assertEquals("", GuestEnding.panicLine("flint-agent: ready\n"));
    }

    @Test
    void anUnannouncedResetIsACrashThatShowsAsCrashed() {
        String reason = GuestEnding.stopReason(VmExit.guestReset(false), PANIC_CONSOLE);
        assertEquals("crashed: Kernel panic - not syncing: sysrq triggered crash", reason);
        assertTrue(stoppedBecause(reason).crashed());
    }

    @Test
    void aCrashWithoutAPanicLineSaysWhatTheVmmSaw() {
        VmExit tripleFault = new VmExit(VmExit.Reason.CRASH, "vCPU 0 triple-faulted (KVM_EXIT_SHUTDOWN)");
        assertEquals("crashed: vCPU 0 triple-faulted (KVM_EXIT_SHUTDOWN)", GuestEnding.stopReason(tripleFault, "booting\n"));
    }

    @Test
    void aPowerOffIsNoCrash() {
        String reason = GuestEnding.stopReason(VmExit.guestReset(true), "");
        assertTrue(reason.startsWith("the guest ended: POWER_OFF"), reason);
        assertFalse(GuestEnding.crashed(VmExit.guestReset(true)));
        assertFalse(stoppedBecause(reason).crashed());
        assertFalse(stoppedBecause("stopped by the host").crashed());
    }

    @Test
    void theCrashMessageSaysWhatCrashedAndEndsWithTheConsoleTail() throws IOException {
        String message = GuestEnding.crashMessage("box", VmExit.guestReset(false), console(PANIC_CONSOLE));
        assertTrue(message.startsWith("the guest of machine box crashed (Kernel panic - not syncing: sysrq triggered"
                + " crash); the calls waiting on it were cut short"), message);
        assertTrue(message.endsWith("Last console lines:\n" + PANIC_CONSOLE.strip()), message);
    }
}
