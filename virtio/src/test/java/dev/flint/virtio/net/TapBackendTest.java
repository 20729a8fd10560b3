package dev.flint.virtio.net;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Needs /dev/net/tun and CAP_NET_ADMIN (root in the dev container); skips, saying which, otherwise. */
class TapBackendTest {
    @Test
    void guestFramesGoThroughThePolicyAndALinkThatIsDownCountsSendFailures() throws IOException {
        assumeTrue(new File("/dev/net/tun").exists(), "no /dev/net/tun on this host");
        TapBackend tap;
        try {
            tap = TapBackend.open("flinttest1", EgressPolicy.allowOnly("192.0.2.0/24"));
        } catch (IOException e) {
            assumeTrue(false, "cannot create a TAP interface here: " + e.getMessage());
            return;
        }
        try (tap) {
            assertEquals("flinttest1", tap.interfaceName());
            tap.start(frame -> { });
            byte[] denied = TestFrames.tcpSynFrame("10.0.2.15", "198.51.100.1", 1000, 80, 1);
            byte[] allowed = TestFrames.tcpSynFrame("10.0.2.15", "192.0.2.1", 1000, 80, 1);
            tap.send(denied, 0, denied.length);
            tap.send(allowed, 0, allowed.length);
            // The new interface is down, so the kernel refuses the write (EIO): lost and counted, not thrown.
            BackendStats stats = tap.stats();
            assertEquals(1, stats.denied());
            assertEquals(1, stats.sendFailures());
            assertEquals(0, stats.fromGuest());
        }
    }
}
