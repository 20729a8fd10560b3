package dev.flint.virtio.net;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.flint.virtio.queue.FuzzGuest;
import dev.flint.virtio.queue.MockDriver;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;

/**
 * Fuzz target {@code net-tx}: frames a hostile guest transmits, through virtio-net's tx queue
 * into a backend that runs them past the egress filter and the frame parser as the slirp
 * backend does. Oracle: nothing escapes the device, the filter or the parser, and every frame
 * the backend gets fits in its chain (the virtio-net header stripped).
 * {@code ./flint fuzz net-tx}; the unit tests replay {@code VirtioNetTxFuzzTestInputs/replay}.
 */
public class VirtioNetTxFuzzTest {
    private static final EgressFilter FILTER = new EgressFilter(
            EgressPolicy.allowOnly("93.184.216.0/24", "2001:db8:1::/48"),
            List.of(InetAddress.ofLiteral("10.0.2.3"), InetAddress.ofLiteral("fec0::3")));

    /** Filters and parses what the guest sends, and echoes each passed frame back to the guest. */
    private static final class FilteringBackend implements NetBackend {
        private FrameSink sink;
        private int sent;

        @Override
        public void start(FrameSink toGuest) {
            sink = toGuest;
        }

        @Override
        public void send(byte[] frame, int offset, int length) {
            if (offset < 0 || length < 0 || offset + length > frame.length) {
                throw new AssertionError("backend got [" + offset + ", +" + length + ") of a " + frame.length + "-byte frame");
            }
            FrameParser.parse(frame, offset, length);
            if (FILTER.check(frame, offset, length) == EgressFilter.Verdict.PASS && sink != null) {
                sent++;
                sink.toGuest(Arrays.copyOfRange(frame, offset, offset + length));
            }
        }

        @Override
        public BackendStats stats() {
            return new BackendStats(sent, 0, 0, 0, 0);
        }

        @Override
        public void close() {
        }
    }

    public static void fuzzerTestOneInput(byte[] input) {
        VirtioNet net = new VirtioNet(MacAddress.parse("52:54:00:12:34:56"), new FilteringBackend(), 8);
        FuzzGuest guest = new FuzzGuest(net, 16, false);
        for (int i = 0; i < 4; i++) {
            guest.post(VirtioNet.RX, MockDriver.Part.write(2048));
        }
        guest.play(input);
        net.pumpRx();
        net.reset();
    }

    @FuzzTest
    @Timeout(10)
    void replay(byte[] input) {
        fuzzerTestOneInput(input);
    }
}
