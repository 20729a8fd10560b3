package dev.flint.vmm.net;

import dev.flint.vmm.sys.Errno;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class TapDeviceTest {
    @Test
    void permissionDeniedNamesCapNetAdminAndTheWayAround() {
        String message = TapDevice.setIfFailure("tap7", Errno.EPERM);
        assertTrue(message.contains("EPERM"), message);
        assertTrue(message.contains("CAP_NET_ADMIN"), message);
        assertTrue(message.contains("ip tuntap add tap7 mode tap user"), message);
        assertTrue(TapDevice.openFailure("tap7", Errno.ENOENT).contains("modprobe tun"));
    }

    @Test
    void tooLongANameIsRefusedBeforeAnySystemCall() {
        assertThrows(IllegalArgumentException.class, () -> TapDevice.open("a-name-longer-than-15"));
    }

    /** Needs /dev/net/tun and CAP_NET_ADMIN (root in the dev container); skips otherwise. */
    @Test
    void opensATapInterfaceWhenTheHostAllows() throws IOException {
        assumeTrue(new java.io.File(TapDevice.CLONE_DEVICE).exists(), "no " + TapDevice.CLONE_DEVICE + " on this host");
        TapDevice tap;
        try {
            tap = TapDevice.open("flinttest0");
        } catch (IOException e) {
            assumeTrue(false, "cannot create a TAP interface here: " + e.getMessage());
            return;
        }
        try (tap) {
            assertEquals("flinttest0", tap.name());
            try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
                // Interface down and nothing sent: a non-blocking read answers EAGAIN at once.
                assertEquals(-Errno.EAGAIN, tap.read(arena.allocate(2048)));
            }
        }
    }
}
