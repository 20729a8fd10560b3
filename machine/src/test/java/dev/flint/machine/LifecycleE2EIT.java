package dev.flint.machine;

import org.junit.jupiter.api.Test;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * End to end, in one rig session: a machine with 4096 MiB sees its memory above the 32-bit
 * hole, and a machine whose time to live runs out stops itself and says so. (Two vCPUs are
 * proven by {@link BootE2EIT}: {@code cpus} above the rig's one CPU is refused by design.)
 */
class LifecycleE2EIT {
    private static final Pattern MEM_TOTAL = Pattern.compile("MemTotal:\\s+([0-9]+) kB");

    @Test
    void memoryAboveTheHoleAndTimeToLive() throws Exception {
        assumeTrue(Boolean.getBoolean("flint.e2e"),
                "end-to-end machines need the guest images and hardware KVM or the nested rig; run ./flint test");
        String flint = E2E.flint();
        String script = String.join("\n",
                flint + " run --network none --memory-mb 4096 -- grep MemTotal /proc/meminfo",
                flint + " run --network none --ttl 3 -- sleep 600; echo \"ttl-exit=$?\"");

        E2E.Result result = E2E.runScript(script, 1200);

        String output = result.output();
        assertEquals(0, result.exitCode(), "the rig ran the script:\n" + output);
        Matcher mem = MEM_TOTAL.matcher(output);
        assertTrue(mem.find() && Long.parseLong(mem.group(1)) > 3_900_000L, "4096 MiB reach the guest:\n" + output);
        assertTrue(output.contains("time to live") && output.contains("ttl-exit=125"),
                "the machine stopped itself when its time to live ran out:\n" + output);
    }
}
