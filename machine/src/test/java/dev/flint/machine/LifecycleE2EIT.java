package dev.flint.machine;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * End to end, in one rig session with two emulated CPUs: a machine with {@code cpus=2} sees two
 * CPUs (MP table, per-vCPU CPUID), one with 4096 MiB sees its memory above the 32-bit hole, and
 * a machine whose time to live runs out stops itself and says so.
 */
class LifecycleE2EIT {
    /** Both emulated CPUs share one host thread here (see E2E): boots take a few times longer. */
    private static final String SLOW_BOOT = "--boot-timeout 600 --network none";

    @Test
    void cpusMemoryAboveTheHoleAndTimeToLive() throws Exception {
        assumeTrue(Boolean.getBoolean("flint.e2e"),
                "end-to-end machines need the guest images and hardware KVM or the nested rig; run ./flint test");
        String flint = E2E.flint();
        String script = String.join("\n",
                "echo \"nproc=$(" + flint + " run " + SLOW_BOOT + " --cpus 2 -- nproc)\"",
                flint + " run " + SLOW_BOOT + " --memory-mb 4096 -- sh -c 'grep MemTotal /proc/meminfo'",
                flint + " run " + SLOW_BOOT + " --ttl 3 -- sleep 600; echo \"ttl-exit=$?\"");

        // Two emulated CPUs: a machine may not have more vCPUs than its host has CPUs.
        E2E.Result result = E2E.runScript(2, script, 1500);

        String output = result.output();
        assertEquals(0, result.exitCode(), "the rig ran the script:\n" + output);
        assertTrue(output.contains("nproc=2"), "a 2-vCPU machine runs both CPUs:\n" + output);
        java.util.regex.Matcher mem = java.util.regex.Pattern.compile("MemTotal:\\s+([0-9]+) kB").matcher(output);
        assertTrue(mem.find() && Long.parseLong(mem.group(1)) > 3_900_000L, "4096 MiB reach the guest:\n" + output);
        assertTrue(output.contains("time to live") && output.contains("ttl-exit=125"),
                "the machine stopped itself when its time to live ran out:\n" + output);
    }
}
