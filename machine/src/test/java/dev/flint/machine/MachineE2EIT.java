package dev.flint.machine;

import org.junit.jupiter.api.Test;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * End to end: a real machine boots, its agent answers over virtio-vsock, and {@code flint doctor}
 * runs uname, whoami, a failing command, stderr, env/workdir, stdin, a timeout that kills
 * {@code sleep 100}, 1 MiB of output checked by sha256 on both sides, then deletes the machine
 * and finds no leaked threads or descriptors. Then {@code flint run} streams a command's output
 * and passes its exit code through, and a guest writes and reads a virtio-blk disk backed by a
 * host file, and {@code flint overhead} measures the host memory per idle machine with three
 * at once (ten slow the one-CPU rig's boots to minutes: every idle guest's timer ticks are emulated). Natively on hardware KVM, inside the nested rig elsewhere.
 */
class MachineE2EIT {
    private static final Pattern READY = Pattern.compile("Machine.create to agent-ready ([0-9.]+) ms");
    private static final Pattern OVERHEAD = Pattern.compile("VMM overhead ([0-9.]+) MiB per machine");
    private static final Pattern ROUND_TRIP = Pattern.compile("round trip median ([0-9.]+) ms");

    @Test
    void doctorPassesEveryCheckAndRunPassesTheExitCodeThrough() throws Exception {
        assumeTrue(Boolean.getBoolean("flint.e2e"),
                "end-to-end machines need the guest images and hardware KVM or the nested rig; run ./flint test");
        String flint = E2E.flint();
        String script = flint + " doctor --rounds 30; echo \"doctor-exit=$?\"; "
                + flint + " run --env WHO=flint -- sh -c 'echo hello $WHO; echo to-stderr >&2; exit 7'; "
                + "echo \"run-exit=$?\"; "
                + "dd if=/dev/zero of=/tmp/disk.img bs=1024 count=1024 2>/dev/null; printf host-wrote > /tmp/hostside; "
                + "dd if=/tmp/hostside of=/tmp/disk.img bs=512 seek=8 conv=notrunc 2>/dev/null; "
                + flint + " run --disk /tmp/disk.img -- sh -c "
                + "'echo disk-data | dd of=/dev/vda conv=fsync 2>/dev/null; dd if=/dev/vda bs=512 skip=8 count=1 2>/dev/null | head -c 10; echo'; "
                + "echo \"disk-file=$(head -c 9 /tmp/disk.img)\"; "
                + flint + " overhead --machines 3 --memory-mb 64";
        E2E.Result result = E2E.runScript(script, 1200);

        String output = result.output();
        assertEquals(0, result.exitCode(), "the rig ran the script:\n" + output);
        assertFalse(output.contains("FAIL - "), "no doctor check failed:\n" + output);
        assertTrue(output.contains("doctor: all 20 checks passed"), "doctor ran every check:\n" + output);
        assertTrue(output.contains("doctor-exit=0"), output);
        assertTrue(output.contains("hello flint"), "flint run streamed stdout:\n" + output);
        assertTrue(output.contains("to-stderr"), "flint run streamed stderr:\n" + output);
        assertTrue(output.contains("run-exit=7"), "flint run exits with the command's code:\n" + output);
        assertTrue(output.contains("host-wrote"), "the guest read what the host put on the disk:\n" + output);
        assertTrue(output.contains("disk-file=disk-data"), "the guest's write reached the image file:\n" + output);
        Matcher overhead = OVERHEAD.matcher(output);
        assertTrue(overhead.find(), "flint overhead measured machines running at once:\n" + output);
        System.out.printf("E2E memory (%s): VMM overhead %s MiB per idle machine, 3 machines of 64 MiB at once%n",
                E2E.where(), overhead.group(1));
        Matcher ready = READY.matcher(output);
        Matcher roundTrip = ROUND_TRIP.matcher(output);
        assertTrue(ready.find() && roundTrip.find(), output);
        System.out.printf("E2E machine (%s): Machine.create to agent-ready %s ms, exec([\"true\"]) median round trip %s ms%n",
                E2E.where(), ready.group(1), roundTrip.group(1));
    }
}
