package dev.flint.machine;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * End to end, in one rig session, against Debian's docker-registry serving images that umoci,
 * skopeo and debootstrap built (image/test-images): Python from a registry in a running
 * machine, the same image again with the registry stopped, a machine made from the image that
 * keeps a file across stop and start on its disk, the whiteout image's tree exactly as
 * {@code umoci unpack} gives it as root, the config's User and WorkingDir, a fresh layer per
 * run, a missing image as a clear error with the machine still usable, and a pull and run by an
 * unprivileged host user whose guest still sees exact owners, modes and devices. zstd layers
 * from docker-registry are pulled by image's RealRegistryIT; Docker schema 2 media types by its unit tests.
 */
class ImageE2EIT {
    private static final Pattern SECONDS = Pattern.compile("time-([a-z-]+)=([0-9.]+)");

    @Test
    void imagesFromARealRegistryRunInMachines() throws Exception {
        assumeTrue(Boolean.getBoolean("flint.e2e"),
                "end-to-end machines need the guest images and hardware KVM or the nested rig; run ./flint test");
        Path images = E2E.testImages("registry");
        Path scripts = E2E.root().resolve("image/test-images");
        String flint = E2E.flint();
        String registry = scripts.resolve("registry.sh").toString();
        String ref = "127.0.0.1:5000/flint/";
        String script = String.join("\n",
                "export FLINT_HOME=/tmp/flint-home FLINT_INSECURE_REGISTRIES=127.0.0.1:5000 FLINT_REGISTRY_WAIT=300",
                "now() { cut -d' ' -f1 /proc/uptime; }; timed() { l=$1; shift; t0=$(now); \"$@\"; rc=$?;"
                        + " echo \"time-$l=$(awk \"BEGIN{print $(now)-$t0}\")\" >&2; return $rc; }",
                registry + " start " + images + "/registry 5000 || { cat /tmp/flint-registry/registry.log; exit 1; }",
                // An ordinary host user in the kvm group pulls and runs; the guest still sees root's files exactly.
                "chgrp 990 /dev/kvm && chmod 660 /dev/kvm && mkdir -p /tmp/user && chown 1000:1000 /tmp/user",
                // The guest kernel and initramfs are root's builds under its HOME: let the user read them.
                "d=$FLINT_CACHE; while [ \"$d\" != / ]; do chmod o+x \"$d\"; d=$(dirname \"$d\"); done;"
                        + " chmod -R o+rX \"$FLINT_CACHE\"",
                "timed user-pull-and-run /usr/bin/setpriv --reuid=1000 --regid=1000 --groups=990 env HOME=/tmp/user"
                        + " FLINT_HOME=/tmp/user/flint " + flint + " run --image " + ref + "layers:t -- sh -c 'id -u;"
                        + " stat -c \"%a %u %g %F %t:%T\" /usr/bin/suid /home/app/owned /dev-null-copy /run-fifo'"
                        + " > /tmp/user.txt 2>&1; echo \"user-run-exit=$?\"",
                "cat /tmp/user.txt",
                "echo \"user-store-owner=$(stat -c %u /tmp/user/flint/images)\"",
                E2E.serveFunction(),
                "serve 1 || exit 1",
                "export FLINT_SERVER=http://127.0.0.1:8080",
                flint + " create w1 --memory-mb 512 > /dev/null; echo \"create-exit=$?\"",
                "timed first-run " + flint + " exec w1 --image " + ref + "python:3 -- python3 -c 'print(2+2)' > /tmp/py1;"
                        + " rc=$?; echo \"py-first=$(cat /tmp/py1) exit=$rc\"",
                "echo \"app=$(" + flint + " exec w1 --image " + ref + "layers:app -- sh -c"
                        + " 'echo $(id -u):$(id -g):$(id -G | tr \" \" ,):$(pwd):$HOME')\"",
                "echo \"as-root=$(" + flint + " exec w1 --image " + ref + "layers:app --user 0 -- id -u)\"",
                flint + " exec w1 --image " + ref + "layers:t --env TMPDIR=/dev/shm -- sh /usr/local/bin/tree-listing.sh /"
                        + " > /tmp/guest.txt; echo \"listing-exit=$?\"",
                "diff " + images + "/expected-layers.txt /tmp/guest.txt && echo listing-identical",
                "echo \"fresh-layer=$(" + flint + " exec w1 --image " + ref + "layers:t -- sh -c 'test -e /written && echo leaked;"
                        + " echo x > /written; echo ok')$(" + flint + " exec w1 --image " + ref + "layers:t -- sh -c"
                        + " 'test -e /written && echo -leaked')\"",
                flint + " exec w1 --image " + ref + "nope:1 -- true; echo \"missing-run-exit=$?\"",
                registry + " stop; echo registry-stopped",
                "timed cached-run " + flint + " exec w1 --image " + ref + "python:3 -- python3 -c 'print(2 ** 10)' > /tmp/py2;"
                        + " echo \"py-cached=$(cat /tmp/py2)\"",
                "timed busybox-root " + flint + " exec w1 -- sh -c 'echo still-usable=yes'",
                flint + " create py --image " + ref + "python:3 --disk-mb 256 > /dev/null; echo \"create-py-exit=$?\"",
                flint + " exec py -- python3 -c 'open(\"/root/kept\", \"w\").write(\"kept\")'",
                flint + " stop py > /dev/null && " + flint + " start py > /dev/null; echo \"restart-exit=$?\"",
                "echo \"after-restart=$(" + flint + " exec py -- cat /root/kept)\"",
                "kill $server; wait $server",
                "echo image-script-done");
        E2E.Result result = E2E.runScript(script, 1800, images + "/registry", images + "/expected-layers.txt",
                scripts.toString(), "/usr/bin/docker-registry", "/usr/bin/setpriv",
                Path.of("/lib/x86_64-linux-gnu/libcap-ng.so.0").toRealPath().toString(), "/lib/x86_64-linux-gnu/libcap-ng.so.0");

        String output = result.output();
        assertEquals(0, result.exitCode(), "the rig ran the script:\n" + output);
        assertTrue(output.contains("user-run-exit=0"), "an unprivileged user pulled and ran the image:\n" + output);
        assertTrue(output.contains("4755 0 0 regular file") && output.contains("640 1000 2000 regular file")
                && output.contains("character special file 1:3") && output.contains("fifo"),
                "owners, setuid, the device node and the fifo are exact for an unprivileged host user:\n" + output);
        assertTrue(output.contains("user-store-owner=1000"), "the store belongs to that user:\n" + output);
        assertTrue(output.contains("create-exit=0"), output);
        assertTrue(output.contains("py-first=4 exit=0"), "python printed 2+2 in the image:\n" + output);
        assertTrue(output.contains("app=1000:1000:1000,2000:/home/app:/home/app"),
                "the config's User (with its groups) and WorkingDir took effect:\n" + output);
        assertTrue(output.contains("as-root=0"), "--user overrides the config's User:\n" + output);
        assertTrue(output.contains("listing-exit=0") && output.contains("listing-identical"),
                "the guest sees exactly the tree umoci unpacks as root:\n" + output);
        assertTrue(output.contains("fresh-layer=ok\n") || output.contains("fresh-layer=ok\r"),
                "each run gets a fresh writable layer:\n" + output);
        assertTrue(output.contains("missing-run-exit=5") && output.contains("still-usable=yes"),
                "a missing image is a clear error and the machine stays usable:\n" + output);
        assertTrue(output.contains("py-cached=1024"), "the image ran again with the registry stopped:\n" + output);
        assertTrue(output.contains("create-py-exit=0") && output.contains("restart-exit=0")
                && output.contains("after-restart=kept"), "an image machine keeps its files on its disk:\n" + output);
        report(output);
    }

    /** The rig's figures: seconds to output, the image cold (pull and flatten) and cached, beside the busybox root. */
    private static void report(String output) {
        Map<String, String> times = new LinkedHashMap<>();
        Matcher matcher = SECONDS.matcher(output);
        while (matcher.find()) {
            times.put(matcher.group(1), matcher.group(2));
        }
        System.out.printf("E2E images (%s): seconds from the CLI to the command's output, each a fresh client JVM:%n"
                        + "  exec in the busybox root %s; python image first run (pull 57 MiB, flatten) %s; cached %s;"
                        + " flint run --image as an ordinary user (JVM, pull, boot, run) %s%n", E2E.where(),
                times.get("busybox-root"), times.get("first-run"), times.get("cached-run"), times.get("user-pull-and-run"));
    }
}
