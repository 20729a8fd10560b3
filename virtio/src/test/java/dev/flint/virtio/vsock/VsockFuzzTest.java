package dev.flint.virtio.vsock;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.flint.virtio.queue.FuzzGuest;
import dev.flint.virtio.queue.MockDriver;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzz target {@code vsock}: packets from a hostile guest on the vsock device's tx queue (and
 * junk on its rx and event queues), with a host listener on port 1024 so connections open.
 * Oracle: nothing escapes the device (a malformed chain resets it, a bad packet is dropped).
 * {@code ./flint fuzz vsock}; the unit tests replay {@code VsockFuzzTestInputs/replay}.
 */
public class VsockFuzzTest {
    static final long GUEST_CID = 3;

    public static void fuzzerTestOneInput(byte[] input) {
        VirtioVsock vsock = new VirtioVsock(GUEST_CID);
        vsock.muxer().listen(1024, stream -> {
        });
        FuzzGuest guest = new FuzzGuest(vsock, 64, false);
        for (int i = 0; i < 8; i++) {
            guest.post(0, MockDriver.Part.write(4096));
        }
        guest.play(input);
        vsock.pumpRx();
        vsock.reset();
    }

    @FuzzTest
    @Timeout(10)
    void replay(byte[] input) {
        fuzzerTestOneInput(input);
    }
}
