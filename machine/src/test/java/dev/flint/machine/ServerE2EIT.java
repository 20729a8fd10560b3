package dev.flint.machine;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * End to end, in one rig session: {@code flint serve} runs a machine for CLI clients in other
 * processes; the creating client exits, a second one execs in the machine, a missing command
 * and a missing workdir exit 127 and 126 with the machine running on, and {@code ls} shows it; the server dies by SIGKILL, and its successor lists the machine as stopped, with no
 * orphan process and no stale lock: it starts again with its disk as it was, and delete cleans
 * it up.
 */
class ServerE2EIT {
    @Test
    void machinesOutliveTheirClientsAndSurviveAKilledServer() throws Exception {
        assumeTrue(Boolean.getBoolean("flint.e2e"),
                "end-to-end machines need the guest images and hardware KVM or the nested rig; run ./flint test");
        String flint = E2E.flint();
        String script = String.join("\n",
                "export FLINT_HOME=/tmp/flint-home FLINT_SERVER=http://127.0.0.1:8080",
                E2E.serveFunction(),
                "serve 1 || exit 1",
                flint + " create box --disk-mb 64 --network none --metadata team=e2e > /dev/null; echo \"create-exit=$?\"",
                flint + " exec box -- sh -c 'echo kept-by-the-disk > /root/note'; echo \"exec-exit=$?\"",
                "echo \"second-client=$(" + flint + " exec box -- cat /root/note)\"",
                flint + " exec box -- /no/such/cmd 2> /tmp/missing.err; echo \"missing-exit=$? $(cat /tmp/missing.err)\"",
                flint + " exec box --workdir /no/such/dir -- true 2> /tmp/workdir.err;"
                        + " echo \"workdir-exit=$? $(cat /tmp/workdir.err)\"",
                flint + " ls --metadata team=e2e",
                "kill -9 $server; wait $server 2>/dev/null",
                "echo \"orphans=$(ps | grep -c '[d]ev.flint.machine')\"",
                "serve 2 || exit 1",
                flint + " ls",
                flint + " start box; echo \"start-exit=$?\"",
                "echo \"after-restart=$(" + flint + " exec box -- cat /root/note)\"",
                flint + " delete box; echo \"delete-exit=$?\"",
                "echo \"left=$(" + flint + " ls --json)\"",
                "echo \"disks-left=$(ls /tmp/flint-home/machines 2>/dev/null | wc -l)\"",
                "kill $server; wait $server; echo server-script-done");

        E2E.Result result = E2E.runScript(script, 1500);

        String output = result.output();
        assertEquals(0, result.exitCode(), "the rig ran the script:\n" + output);
        assertTrue(output.contains("create-exit=0") && output.contains("exec-exit=0"), output);
        assertTrue(output.contains("second-client=kept-by-the-disk"), "a second client ran in the machine:\n" + output);
        assertTrue(output.contains("missing-exit=127 flint: machine box could not start /no/such/cmd: exec /no/such/cmd:"
                + " No such file or directory (ENOENT, errno 2)"), "a missing command exits 127, as in a shell:\n" + output);
        assertTrue(output.contains("workdir-exit=126 flint: machine box could not start true: chdir /no/such/dir:"
                + " No such file or directory (ENOENT, errno 2)"), "a missing workdir exits 126, naming it:\n" + output);
        assertTrue(output.matches("(?s).*box\\s+running.*"), "ls showed the machine running:\n" + output);   // after both
        assertTrue(output.contains("orphans=0"), "a killed server leaves no VMM process behind:\n" + output);
        assertTrue(output.matches("(?s).*box\\s+stopped.*"), "the new server lists the machine as stopped:\n" + output);
        assertTrue(output.contains("start-exit=0") && output.contains("after-restart=kept-by-the-disk"),
                "it starts again (no stale lock) with its disk:\n" + output);
        assertTrue(output.contains("delete-exit=0") && output.contains("disks-left=0"), "delete cleaned up:\n" + output);
    }
}
