package dev.flint.machine;

import org.junit.jupiter.api.Test;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * End to end, in one rig session, the snapshot life of a machine through {@code flint serve}:
 * a machine with a background counter and a file in tmpfs is snapshotted and deleted, the
 * server is killed with -9, and a new server process restores the snapshot: the counter goes on
 * from where it was, the file is there, exec works and the guest's clock is the host's. Three
 * forks of it get their own hostnames, a write in one (to tmpfs or to its disk) is invisible in the
 * others, their disks are empty overlays over the parent's (no disk is copied; a reboot of one
 * reads its own writes back), and together they cost the host less memory than two private copies
 * would. A paused machine survives a killed server and resumes on the next command. A template
 * with a warm pool of 2: two creates are checked out warm and run the template's setup's result,
 * a third with none ready fails under REQUIRE, naming the pool, and under PREFER falls back to
 * the template (the creates go back to back over the HTTP API, so that the pool's refill cannot
 * win the race with a CLI's start-up).
 */
class SnapshotE2EIT {
    private static final Pattern COUNTS = Pattern.compile("counts=([0-9]+) ([0-9]+)");
    private static final Pattern GUEST_CLOCK = Pattern.compile("guest-clock=([0-9]+)");
    private static final Pattern HOST_CLOCK = Pattern.compile("host-clock=([0-9]+) ([0-9]+)");
    private static final Pattern SAVED = Pattern.compile("saved-count=([0-9]+)");
    private static final Pattern FORK_DISKS =
            Pattern.compile("fork-disk-kb=([0-9]+) layer-disk-kb=([0-9]+) fork-raw-disks=([0-9]+)");
    private static final Pattern FORK_MEMORY = Pattern.compile("pss-before=([0-9]+) pss-after=([0-9]+) fork-memory-kb=([0-9]+)");

    @Test
    void restoreInANewProcessForkAndPauseAcrossAKilledServer() throws Exception {
        assumeTrue(Boolean.getBoolean("flint.e2e"),
                "end-to-end machines need the guest images and hardware KVM or the nested rig; run ./flint test");
        String flint = E2E.flint();
        String counter = "setsid sh -c \"i=0; while :; do i=\\$((i+1)); echo \\$i > /tmp/count; sleep 1; done\""
                + " > /dev/null 2>&1 < /dev/null &";
        String script = String.join("\n",
                "export FLINT_HOME=/tmp/flint-home FLINT_SERVER=http://127.0.0.1:8080",
                E2E.serveFunction(),
                "pss() { awk '/^Pss:/ { print $2 }' /proc/$server/smaps_rollup; }",
                "serve 1 || exit 1",
                flint + " create w1 --network none --disk-mb 16 > /dev/null; echo \"create-exit=$?\"",
                flint + " exec w1 -- sh -c 'echo kept-in-tmpfs > /tmp/note; " + counter + " sleep 3; cat /tmp/count'"
                        + " > /tmp/saved; echo \"saved-count=$(cat /tmp/saved)\"",
                flint + " snapshot w1 s1; echo \"snapshot-exit=$?\"",
                flint + " delete w1; echo \"delete-exit=$?\"",
                "kill -9 $server; wait $server 2>/dev/null",
                "serve 2 || exit 1",
                flint + " create w2 --from-snapshot s1 > /dev/null; echo \"restore-exit=$?\"",
                "host_before=$(date +%s)",
                flint + " exec w2 -- sh -c 'echo \"note=$(cat /tmp/note) host=$(hostname)\"; a=$(cat /tmp/count); sleep 3;"
                        + " echo \"counts=$a $(cat /tmp/count)\"; echo \"guest-clock=$(date +%s)\"'",
                "echo \"host-clock=$host_before $(date +%s)\"",
                "before=$(pss)",
                flint + " fork w2 -n 3 > /dev/null; echo \"fork-exit=$?\"",
                // What the forks' disks take on the host, against the disk they all read (what a copy would cost).
                "echo \"fork-disk-kb=$(du -kc /tmp/flint-home/machines/w2-fork-*/disk.* | tail -1 | cut -f1)"
                        + " layer-disk-kb=$(du -kc /tmp/flint-home/layers/*.ext4 | tail -1 | cut -f1)"
                        + " fork-raw-disks=$(ls /tmp/flint-home/machines/w2-fork-*/disk.ext4 2>/dev/null | wc -l)\"",
                "for k in 1 2 3; do " + flint + " exec w2-fork-$k -- sh -c \"echo fork-$k-host=\\$(hostname);"
                        + " cat /tmp/mine /etc/fork-note 2>/dev/null; echo mine-of-$k > /tmp/mine;"
                        + " echo disk-of-$k > /etc/fork-note; sync\"; done",
                "echo \"pss-before=$before pss-after=$(pss) fork-memory-kb=$(du -k /tmp/flint-home/forks/*/vm/memory"
                        + " | awk '{ s += $1 } END { print s }')\"",
                // A fresh boot reads the disk, not the page cache: fork 2 finds its own write, not fork 3's after it
                // (after the memory is measured: a booted fork shares no pages).
                flint + " restart w2-fork-2 > /dev/null; echo \"fork-restart-exit=$?\"",
                "echo \"fork-2-after-restart=$(" + flint + " exec w2-fork-2 -- cat /etc/fork-note)\"",
                flint + " pause w2; echo \"pause-exit=$?\"",
                "kill -9 $server; wait $server 2>/dev/null",
                "serve 3 || exit 1",
                "echo \"resumed-count=$(" + flint + " exec w2 -- cat /tmp/count)\"",
                templateAndPoolScript(flint),
                "kill $server; wait $server; echo snapshot-script-done");

        E2E.Result result = E2E.runScript(script, 2400);

        String output = result.output();
        assertEquals(0, result.exitCode(), "the rig ran the script:\n" + output);
        assertTrue(output.contains("snapshot-script-done"), output);
        assertTrue(output.contains("create-exit=0") && output.contains("snapshot-exit=0")
                && output.contains("delete-exit=0") && output.contains("restore-exit=0"), output);

        // Restored by another server process: tmpfs, the counter and the clock came along.
        assertTrue(output.contains("note=kept-in-tmpfs host=w2"), "the file and the new hostname:\n" + output);
        long saved = first(SAVED, output, 1);
        Matcher counts = matcher(COUNTS, output);
        long before = Long.parseLong(counts.group(1));
        long after = Long.parseLong(counts.group(2));
        assertTrue(before >= saved && after > before, "the counter goes on from " + saved + ":\n" + output);
        long guestClock = first(GUEST_CLOCK, output, 1);
        Matcher host = matcher(HOST_CLOCK, output);
        assertTrue(guestClock >= Long.parseLong(host.group(1)) - 2 && guestClock <= Long.parseLong(host.group(2)) + 2,
                "the restored guest's clock reads between the host's before and after the exec:\n" + output);

        // Forks: their own names and memory, the parent's pages shared.
        assertTrue(output.contains("fork-exit=0"), output);
        for (int k = 1; k <= 3; k++) {
            assertTrue(output.contains("fork-" + k + "-host=w2-fork-" + k), "fork " + k + " has its own hostname:\n" + output);
        }
        assertFalse(output.contains("mine-of-"), "a write in one fork is invisible in the others:\n" + output);
        assertFalse(Pattern.compile("(?m)^disk-of-").matcher(output).find(), "so is a write to its disk:\n" + output);
        assertTrue(output.contains("fork-restart-exit=0") && output.contains("fork-2-after-restart=disk-of-2\n"),
                "fork 2's disk, reopened by a boot, holds its own write and not fork 3's:\n" + output);
        Matcher disks = matcher(FORK_DISKS, output);
        long forkDiskKb = Long.parseLong(disks.group(1));
        assertTrue(disks.group(3).equals("0") && forkDiskKb <= 3 * 64,
                "a fork copies no disk: its disk is an empty overlay (three take " + forkDiskKb + " KiB; the layer"
                        + " they read takes " + disks.group(2) + " KiB):\n" + output);
        Matcher memory = matcher(FORK_MEMORY, output);
        long grownKb = Long.parseLong(memory.group(2)) - Long.parseLong(memory.group(1));
        long forkMemoryKb = Long.parseLong(memory.group(3));
        assertTrue(forkMemoryKb > 0 && grownKb < 2 * forkMemoryKb,
                "three forks cost the server " + grownKb + " KiB, less than two private copies of the "
                        + forkMemoryKb + " KiB they share:\n" + output);

        // Paused across a killed server, resumed by the next command.
        assertTrue(output.contains("pause-exit=0"), output);
        assertTrue(first(Pattern.compile("resumed-count=([0-9]+)"), output, 1) >= after,
                "the new server resumed the paused machine for the command:\n" + output);

        assertTemplateAndPool(output);
    }

    /**
     * Builds template tp (its setup writes a file), fills warm pool pp of 2 and waits until both
     * are ready; then over the API two creates under REQUIRE (warm), and right after making pool
     * pq of 1 (still filling) one under REQUIRE with no wait (none ready: 503) and one under PREFER
     * (from the template).
     */
    private static String templateAndPoolScript(String flint) {
        return String.join("\n",
                // One HTTP/1.1 request over bash's /dev/tcp (the rig's sh is busybox's, without it):
                // prints the status line and the body.
                "cat > /tmp/api.sh <<'EOF'",
                "exec 3<>/dev/tcp/127.0.0.1/8080 || exit 1",
                "printf '%s %s HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nContent-Type: application/json\\r\\nContent-Length: %s\\r\\n"
                        + "Connection: close\\r\\n\\r\\n%s' \"$1\" \"$2\" \"${#3}\" \"$3\" >&3",
                "tr -d '\\r' <&3 | sed -n '1p;$p'",
                "EOF",
                "api() { bash /tmp/api.sh \"$@\"; }",
                flint + " template build tp --disk-mb 16 --setup 'echo set-up > /etc/tp-note' > /dev/null;"
                        + " echo \"template-exit=$?\"",
                flint + " pool create pp --template tp --size 2 > /dev/null; echo \"pool-exit=$?\"",
                "for i in $(seq 600); do api GET /v1/pools '' | grep -q '\"ready\":2' && break; sleep 1; done",
                "echo \"pool-ready-after=$i\"",
                "create() { api POST /v1/machines \"{\\\"name\\\":\\\"$1\\\",\\\"template\\\":{\\\"name\\\":\\\"tp\\\","
                        + "\\\"pool\\\":\\\"$2\\\",\\\"mode\\\":\\\"$3\\\"}}\" | sed \"s/^/create-$1: /\"; }",
                // pp's refill can win a race with a third create (it did in the rig); pool pq, made just
                // before over the API, has none ready yet while its first restore runs.
                "create t1 pp require; create t2 pp require",
                "api POST /v1/pools '{\"name\":\"pq\",\"template\":\"tp\",\"size\":1}' | head -1 | sed 's/^/pool-pq: /'",
                "create t3 pq require; create t4 pq prefer",
                "for t in t1 t2 t4; do echo \"$t-note=$(" + flint + " exec $t -- cat /etc/tp-note)\"; done",
                flint + " pool rm pp > /dev/null && " + flint + " pool rm pq > /dev/null; echo \"pool-rm-exit=$?\"");
    }

    private static void assertTemplateAndPool(String output) {
        assertTrue(output.contains("template-exit=0") && output.contains("pool-exit=0"), output);
        assertTrue(first(Pattern.compile("pool-ready-after=([0-9]+)"), output, 1) < 600, "the pool filled:\n" + output);
        for (String warm : new String[] {"t1", "t2"}) {
            assertTrue(output.contains("create-" + warm + ": HTTP/1.1 201"), warm + " was created:\n" + output);
            assertTrue(Pattern.compile("create-" + warm + ": \\{.*\"flint.dev/warm-pool-checkout\":\"WARM\"").matcher(output).find(),
                    warm + " came warm out of the pool:\n" + output);
        }
        assertTrue(output.contains("pool-pq: HTTP/1.1 201"), "pool pq was made:\n" + output);
        assertTrue(output.contains("create-t3: HTTP/1.1 503"), "REQUIRE with none ready fails:\n" + output);
        assertTrue(Pattern.compile("create-t3: \\{.*warm pool pq").matcher(output).find(),
                "and the error names the pool:\n" + output);
        assertTrue(Pattern.compile("create-t4: \\{.*\"flint.dev/warm-pool-checkout\":\"COLD_FALLBACK\"").matcher(output).find(),
                "PREFER with none ready falls back to the template:\n" + output);
        for (String made : new String[] {"t1", "t2", "t4"}) {
            assertTrue(output.contains(made + "-note=set-up\n"), made + " runs what the template's setup made:\n" + output);
        }
        assertTrue(output.contains("pool-rm-exit=0"), output);
    }

    private static Matcher matcher(Pattern pattern, String output) {
        Matcher matcher = pattern.matcher(output);
        assertTrue(matcher.find(), pattern + " in:\n" + output);
        return matcher;
    }

    private static long first(Pattern pattern, String output, int group) {
        return Long.parseLong(matcher(pattern, output).group(group));
    }
}
