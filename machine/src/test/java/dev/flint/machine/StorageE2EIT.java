package dev.flint.machine;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * End to end, in one rig session: 64 MiB through virtio-blk and through virtio-fs, checked by
 * sha256 on both sides and timed with {@code dd} next to the same copy on the rig's own root;
 * files created, renamed and deleted through a mount seen on the host and the other way round; a
 * read-only mount refusing {@code touch}; a file on the machine's own disk kept across two runs
 * of the same name; a machine booted from an ext4 root built from a host directory.
 */
class StorageE2EIT {
    private static final Pattern SUM = Pattern.compile("([a-z-]+)-sum=([0-9a-f]{64})");
    private static final Pattern DD = Pattern.compile("dd-([a-z]+-[a-z]+)-seconds=([0-9.]+)");
    private static final long BYTES = 64L << 20;
    /** Shell functions, for the rig and the guest alike: {@code timed LABEL CMD...} prints how long CMD took. */
    private static final String TIMED = "now() { cut -d\" \" -f1 /proc/uptime; }; timed() { l=$1; shift; t0=$(now);"
            + " \"$@\" 2>/dev/null; t1=$(now); echo \"dd-$l-seconds=$(awk \"BEGIN{print $t1-$t0}\")\"; }; ";

    @Test
    void blockAndFileSystemDevicesMoveBytesIntactAndKeepFiles() throws Exception {
        assumeTrue(Boolean.getBoolean("flint.e2e"),
                "end-to-end machines need the guest images and hardware KVM or the nested rig; run ./flint test");
        String flint = E2E.flint();
        String script = String.join("\n",
                "export FLINT_HOME=/tmp/flint-home; " + TIMED,
                "mkdir -p /tmp/share /tmp/rootfs/bin /tmp/rootfs/etc",
                "head -c 67108864 /dev/urandom > /tmp/share/data",
                "echo \"host-sum=$(sha256sum /tmp/share/data | cut -c1-64)\"",
                "cp /tmp/share/data /tmp/blk-in.img; truncate -s 64M /tmp/blk-out.img",
                "timed rig-read dd if=/tmp/share/data of=/dev/null bs=1M",
                "timed rig-write dd if=/tmp/share/data of=/tmp/rig-copy bs=1M conv=fsync",
                "echo from-host > /tmp/share/host.txt",
                flint + " run --memory-mb 384 --disk /tmp/blk-in.img:ro --disk /tmp/blk-out.img --mount /tmp/share:/w -- sh -c '"
                        + TIMED + "timed blk-read dd if=/dev/vda of=/dev/null bs=1M; "
                        + "timed fs-read dd if=/w/data of=/dev/null bs=1M; "
                        + "timed blk-write dd if=/dev/vda of=/dev/vdb bs=1M conv=fsync; "
                        + "timed fs-write dd if=/dev/vda of=/w/copy bs=1M conv=fsync; "
                        + "echo \"guest-blk-sum=$(sha256sum /dev/vda | cut -c1-64)\"; "
                        + "echo \"guest-fs-sum=$(sha256sum /w/data | cut -c1-64)\"; "
                        + "echo \"guest-read=$(cat /w/host.txt)\"; echo from-guest > /w/guest.txt; "
                        + "mv /w/guest.txt /w/renamed.txt; rm /w/host.txt; mkdir /w/dir; ln -s renamed.txt /w/link'",
                "echo \"rw-run-exit=$?\"",
                "echo \"blk-out-sum=$(sha256sum /tmp/blk-out.img | cut -c1-64)\"",
                "echo \"fs-copy-sum=$(sha256sum /tmp/share/copy | cut -c1-64)\"",
                "echo \"host-sees=$(cat /tmp/share/renamed.txt) $(test -e /tmp/share/host.txt || echo host-file-gone)"
                        + " $(test -d /tmp/share/dir && echo dir-made) link-to-$(readlink /tmp/share/link)\"",
                flint + " run --mount /tmp/share:/w:ro -- sh -c 'cat /w/renamed.txt; touch /w/x; echo touch-exit=$?'",
                "test -e /tmp/share/x || echo no-file-from-ro-mount",
                flint + " run --name keeper --disk-mb 128 --keep-disk --boot-timeout 180 -- sh -c 'echo persisted-across-runs > /root/note'",
                flint + " run --name keeper --disk-mb 128 --boot-timeout 180 -- cat /root/note",
                "echo \"machines-left=$(ls /tmp/flint-home/machines | wc -l)\"",
                "cp /bin/busybox /tmp/rootfs/bin/; echo from-rootfs > /tmp/rootfs/etc/motd",
                flint + " run --rootfs /tmp/rootfs -- /bin/busybox cat /etc/motd");
        E2E.Result result = E2E.runScript(script, 1500);

        String output = result.output();
        assertEquals(0, result.exitCode(), "the rig ran the script:\n" + output);
        Map<String, String> sums = new LinkedHashMap<>();
        Matcher sum = SUM.matcher(output);
        while (sum.find()) {
            sums.put(sum.group(1), sum.group(2));
        }
        String expected = sums.get("host");
        for (String side : List.of("guest-blk", "guest-fs", "blk-out", "fs-copy")) {
            assertEquals(expected, sums.get(side), side + " sha256 matches the host's:\n" + output);
        }
        assertTrue(output.contains("rw-run-exit=0"), output);
        assertTrue(output.contains("guest-read=from-host"), "the guest read a file the host made:\n" + output);
        assertTrue(output.contains("host-sees=from-guest host-file-gone dir-made link-to-renamed.txt"),
                "the host sees what the guest created, renamed, deleted and linked:\n" + output);
        assertTrue(output.contains("Read-only file system") && output.contains("touch-exit=1")
                && output.contains("no-file-from-ro-mount"), "a read-only mount refuses touch:\n" + output);
        assertTrue(output.contains("persisted-across-runs"), "the machine's disk kept the file:\n" + output);
        assertTrue(output.contains("machines-left=0"), "the second run without --keep-disk removed it:\n" + output);
        assertTrue(output.contains("from-rootfs"), "a machine booted from an ext4 rootfs:\n" + output);
        report(output);
    }

    /** The rig's throughput report: MB/s through each device, as a ratio to the same dd on the rig's root. */
    private static void report(String output) {
        Map<String, Double> rates = new LinkedHashMap<>();
        Matcher dd = DD.matcher(output);
        while (dd.find()) {
            double seconds = Double.parseDouble(dd.group(2));
            rates.put(dd.group(1), seconds > 0 ? BYTES / 1e6 / seconds : Double.NaN);   // /proc/uptime ticks 10 ms
        }
        System.out.printf("E2E storage throughput (%s), 64 MiB, bs=1M, write with fsync:%n", E2E.where());
        for (String op : List.of("read", "write")) {
            double rig = rates.getOrDefault("rig-" + op, Double.NaN);
            for (String device : List.of("blk", "fs")) {
                double rate = rates.getOrDefault(device + "-" + op, Double.NaN);
                System.out.printf("  virtio-%-3s %-5s %8.1f MB/s   rig root (RAM) %8.1f MB/s   ratio %.2f%n",
                        device, op, rate, rig, rate / rig);
            }
        }
    }
}
