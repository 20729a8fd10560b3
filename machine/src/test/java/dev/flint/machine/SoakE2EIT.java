package dev.flint.machine;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * End to end, in one rig session: {@code flint soak} at a size CI affords (its fds, threads and
 * resident memory flat, no call hung or failed), then the host disk filling up under virtio-blk
 * writes ({@link DiskFullProbe}): an ext4 image of 128 MiB on a 40 MiB tmpfs, written from the
 * guest until the host has no room. The guest's write fails with an I/O error, the machine
 * answers the next execs, a file written before reads back intact, and {@code e2fsck -fn} finds
 * the image clean after the machine stopped.
 */
class SoakE2EIT {
    /** CI's size: about two minutes in the rig (the warm-up's first boots in a cold JVM take one). */
    static final String SOAK = "--cycles 6 --machines 2 --minutes 0.5 --deadline-s 300";
    private static final Pattern FREE = Pattern.compile("host-free-kb=([0-9]+)");
    private static final Pattern KEEP = Pattern.compile("(mount|after): ([0-9a-f]{64})");

    @Test
    void soakStaysFlatAndAFullHostDiskIsAnIoErrorThatTheMachineSurvives() throws Exception {
        assumeTrue(Boolean.getBoolean("flint.e2e"),
                "end-to-end machines need the guest images and hardware KVM or the nested rig; run ./flint test");
        Path sbin = List.of(Path.of("/usr/sbin"), Path.of("/sbin")).stream()
                .filter(dir -> Files.isExecutable(dir.resolve("e2fsck")) && Files.isExecutable(dir.resolve("mke2fs")))
                .findFirst().orElseThrow(() -> new AssertionError("e2fsprogs (mke2fs, e2fsck) is not installed"));
        Path target = E2E.root().resolve("machine/target");
        String classpath = target.resolve("test-classes") + ":" + target.resolve("lib") + "/*";
        String script = String.join("\n",
                "export FLINT_HOME=/tmp/flint-home",
                E2E.flint() + " soak " + SOAK + "; echo \"soak-exit=$?\"",
                "if [ \"$(id -u)\" != 0 ]; then echo 'disk-full: skipped, a small tmpfs needs root'; exit 0; fi",
                "mkdir -p /tmp/small && mount -t tmpfs -o size=40m tmpfs /tmp/small && truncate -s 128M /tmp/small/data.img",
                // Journal and inode tables written now, so only file data needs room on the host later.
                sbin.resolve("mke2fs") + " -q -F -t ext4 -E lazy_itable_init=0,lazy_journal_init=0,nodiscard"
                        + " /tmp/small/data.img; echo \"mkfs-exit=$?\"",
                "java --enable-native-access=ALL-UNNAMED -cp '" + classpath + "' dev.flint.machine.DiskFullProbe"
                        + " /tmp/small/data.img 128; echo \"probe-exit=$?\"",
                "echo \"host-free-kb=$(df -k /tmp/small | awk 'NR==2 { print $4 }')\"",
                sbin.resolve("e2fsck") + " -fn /tmp/small/data.img; echo \"fsck-exit=$?\"");
        E2E.Result result = E2E.runScript(script, 1500, target.resolve("test-classes").toString(),
                sbin.resolve("e2fsck").toString());

        String output = result.output();
        assertEquals(0, result.exitCode(), "the rig ran the script:\n" + output);
        assertTrue(output.contains("soak: passed") && output.contains("soak-exit=0"), "the soak passed:\n" + output);
        assumeTrue(!output.contains("disk-full: skipped"), "the disk-full fault needs root on this host");
        assertTrue(output.contains("mkfs-exit=0") && output.contains("mount-exit=0"), output);
        assertNotEquals(-1, output.indexOf("fill-exit=1"), "dd in the guest failed:\n" + output);
        assertTrue(output.contains("Input/output error"), "the guest saw an I/O error, not a full file system:\n" + output);
        Matcher free = FREE.matcher(output);
        assertTrue(free.find() && Long.parseLong(free.group(1)) < 1024, "the host file system did fill up:\n" + output);
        assertTrue(output.contains("after-exit=0") && output.contains("alive: still-answering")
                && output.contains("state=RUNNING") && output.contains("stopped=STOPPED")
                && output.contains("probe-exit=0"), "the machine survived the full disk:\n" + output);
        Matcher keep = KEEP.matcher(output);
        assertTrue(keep.find() && keep.group(1).equals("mount"), output);
        String before = keep.group(2);
        assertTrue(keep.find() && keep.group(1).equals("after"), output);
        assertEquals(before, keep.group(2), "the file written before the disk filled reads back the same:\n" + output);
        assertTrue(output.contains("fsck-exit=0"), "e2fsck finds the image clean:\n" + output);
    }
}
