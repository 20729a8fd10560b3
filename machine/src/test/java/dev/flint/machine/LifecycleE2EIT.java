package dev.flint.machine;

import org.junit.jupiter.api.Test;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * End to end, in one rig session: a machine with 4096 MiB sees its memory above the 32-bit
 * hole; a machine whose time to live runs out stops itself and says so; a kernel panic
 * ({@code echo c > /proc/sysrq-trigger}, CONFIG_MAGIC_SYSRQ) under a command in flight ends
 * that command at once with the crash and the console tail, exit 9, not a wait of 365 days;
 * and a command spinning the guest's only vCPU still ends at its timeout. (Two vCPUs are
 * proven by {@link BootE2EIT}: {@code cpus} above the rig's one CPU is refused by design.)
 */
class LifecycleE2EIT {
    private static final Pattern MEM_TOTAL = Pattern.compile("MemTotal:\\s+([0-9]+) kB");
    private static final Pattern CRASH_SECONDS = Pattern.compile("crash-seconds=([0-9]+)");

    @Test
    void memoryAboveTheHoleTimeToLiveAGuestCrashAndAHungGuest() throws Exception {
        assumeTrue(Boolean.getBoolean("flint.e2e"),
                "end-to-end machines need the guest images and hardware KVM or the nested rig; run ./flint test");
        String flint = E2E.flint();
        String script = String.join("\n",
                flint + " run --network none --memory-mb 4096 -- grep MemTotal /proc/meminfo",
                flint + " run --network none --ttl 3 -- sleep 600; echo \"ttl-exit=$?\"",
                "start=$(date +%s)",
                flint + " run --network none -- sh -c 'echo c > /proc/sysrq-trigger; sleep 600'; echo \"crash-exit=$?\"",
                "echo \"crash-seconds=$(( $(date +%s) - start ))\"",
                flint + " run --network none --timeout 3 -- sh -c 'while :; do :; done'; echo \"spin-exit=$?\"");

        // 4096 MiB of guest needs a rig with more memory than that: a guest may not ask for more than its host has.
        E2E.Result result = E2E.runScript(script, 1200, 5632);

        String output = result.output();
        assertEquals(0, result.exitCode(), "the rig ran the script:\n" + output);
        Matcher mem = MEM_TOTAL.matcher(output);
        assertTrue(mem.find() && Long.parseLong(mem.group(1)) > 3_900_000L, "4096 MiB reach the guest:\n" + output);
        assertTrue(output.contains("time to live") && output.contains("ttl-exit=125"),
                "the machine stopped itself when its time to live ran out:\n" + output);
        assertTrue(output.contains("crash-exit=9"), "a guest crash under a command exits 9:\n" + output);
        assertTrue(output.contains("crashed (Kernel panic - not syncing: sysrq triggered crash)")
                && output.contains("Last console lines:"), "the error names the panic and shows the console:\n" + output);
        Matcher seconds = CRASH_SECONDS.matcher(output);
        assertTrue(seconds.find() && Integer.parseInt(seconds.group(1)) < 240,
                "the crashed command ended within its machine's boot and JVM start, not never:\n" + output);
        assertTrue(output.contains("spin-exit=124"), "a command spinning the vCPU ends at its timeout:\n" + output);
    }
}
