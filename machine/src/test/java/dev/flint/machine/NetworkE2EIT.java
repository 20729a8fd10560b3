package dev.flint.machine;

import org.junit.jupiter.api.Test;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * End to end, in one rig session: the guest fetches a page from an HTTP server on the rig's side
 * through the user-mode NAT (allowed by default and by an allow list, refused under deny-all and
 * for a network the list leaves out), cannot reach the rig's loopback services, and serves 100 MB
 * from busybox httpd on a forwarded host port, checked by sha256 on both sides and timed next to
 * the same download over the rig's own loopback.
 */
class NetworkE2EIT {
    private static final Pattern SUM = Pattern.compile("([a-z-]+)-sum=([0-9a-f]{64})");
    private static final Pattern SECONDS = Pattern.compile("([a-z-]+)-seconds=([0-9.]+)");
    private static final long BYTES = 100L * 1024 * 1024;
    /** busybox ping's summary: {@code round-trip min/avg/max = 1.2/3.4/5.6 ms}. */
    private static final Pattern PING = Pattern.compile("round-trip min/avg/max = [0-9.]+/([0-9.]+)/");

    @Test
    void theGuestReachesTheNetworkOnlyAsItsPolicySaysAndServesAForwardedPort() throws Exception {
        assumeTrue(Boolean.getBoolean("flint.e2e"),
                "end-to-end machines need the guest images and hardware KVM or the nested rig; run ./flint test");
        String flint = E2E.flint();
        String fetch = "timeout 20 wget -qO- http://10.99.0.1:8000/index.html";
        String script = String.join("\n",
                "now() { cut -d' ' -f1 /proc/uptime; }",
                "ip addr add 10.99.0.1/32 dev lo; ip link set lo up",
                "mkdir -p /tmp/www; echo host-page > /tmp/www/index.html; head -c " + BYTES + " /dev/urandom > /tmp/www/big",
                "busybox httpd -p 10.99.0.1:8000 -h /tmp/www; busybox httpd -p 127.0.0.1:8001 -h /tmp/www",
                "t0=$(now); wget -qO /dev/null http://127.0.0.1:8001/big; t1=$(now)",
                "echo \"loopback-seconds=$(awk \"BEGIN{print $t1-$t0}\")\"",
                flint + " run -- sh -c '" + fetch + "; echo \"nat-exit=$?\"; timeout 10 wget -qO- http://10.0.2.2:8001/index.html;"
                        + " echo \"host-loopback-exit=$?\"; ping -c 5 10.0.2.2 | tail -n 1'",
                flint + " run --allow 10.99.0.0/24 -- sh -c '" + fetch + "; echo \"allowed-exit=$?\"'",
                flint + " run --allow 192.0.2.0/24 -- sh -c '" + fetch + "; echo \"unlisted-exit=$?\"'",
                flint + " run --deny-all -- sh -c '" + fetch + "; echo \"deny-exit=$?\"'",
                flint + " run --memory-mb 512 --port 8080:80 -- sh -c 'mkdir /tmp/www; head -c " + BYTES + " /dev/urandom"
                        + " > /tmp/www/big; echo \"guest-sum=$(sha256sum /tmp/www/big | cut -c1-64)\"; touch /tmp/www/ready;"
                        + " httpd -f -p 80 -h /tmp/www & while [ ! -e /tmp/www/done ]; do sleep 0.2; done' &",
                "server=$!",
                "for i in $(seq 300); do wget -qO /dev/null http://127.0.0.1:8080/ready 2>/dev/null && break; sleep 1; done",
                "t0=$(now); echo \"forwarded-sum=$(wget -qO- http://127.0.0.1:8080/big | sha256sum | cut -c1-64)\"; t1=$(now)",
                "echo \"forwarded-seconds=$(awk \"BEGIN{print $t1-$t0}\")\"",
                "kill $server; wait $server; echo network-script-done");
        E2E.Result result = E2E.runScript(script, 1500);

        String output = result.output();
        assertEquals(0, result.exitCode(), "the rig ran the script:\n" + output);
        assertTrue(output.contains("host-page\nnat-exit=0"), "the guest fetched the page through the NAT:\n" + output);
        assertTrue(output.contains("host-page\nallowed-exit=0"), "an allow list that names the server lets it through:\n" + output);
        assertTrue(output.matches("(?s).*unlisted-exit=[1-9].*"), "an allow list without the server refuses it:\n" + output);
        assertTrue(output.matches("(?s).*deny-exit=[1-9].*"), "deny-all refuses the fetch:\n" + output);
        assertTrue(output.matches("(?s).*host-loopback-exit=[1-9].*"), "the rig's loopback stays out of reach:\n" + output);
        Matcher sum = SUM.matcher(output);
        String guest = null;
        String forwarded = null;
        while (sum.find()) {
            if (sum.group(1).equals("guest")) {
                guest = sum.group(2);
            } else if (sum.group(1).equals("forwarded")) {
                forwarded = sum.group(2);
            }
        }
        assertTrue(guest != null && guest.equals(forwarded), "100 MB came through the forwarded port intact:\n" + output);
        report(output);
    }

    /** The rig's report: MB/s through the forwarded port as a ratio to the rig's loopback. */
    private static void report(String output) {
        double loopback = Double.NaN;
        double forwarded = Double.NaN;
        Matcher seconds = SECONDS.matcher(output);
        while (seconds.find()) {
            double rate = BYTES / 1e6 / Double.parseDouble(seconds.group(2));
            if (seconds.group(1).equals("loopback")) {
                loopback = rate;
            } else if (seconds.group(1).equals("forwarded")) {
                forwarded = rate;
            }
        }
        Matcher ping = PING.matcher(output);
        System.out.printf("E2E network throughput (%s), 100 MB guest -> host over HTTP: forwarded port %.1f MB/s,"
                + " rig loopback %.1f MB/s, ratio %.3f; guest -> gateway ping round trip %s ms%n", E2E.where(), forwarded,
                loopback, forwarded / loopback, ping.find() ? ping.group(1) : "?");
    }
}
