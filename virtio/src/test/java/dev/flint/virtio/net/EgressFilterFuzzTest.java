package dev.flint.virtio.net;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.util.List;

/**
 * Fuzz target {@code egress}: raw Ethernet frames straight into {@link FrameParser} and three
 * {@link EgressFilter}s (allow all, deny all, an allow list), at any offset into the buffer.
 * Oracle: a verdict or a summary for every frame, never an exception; deny-all passes only
 * what the filter always lets through (ARP, DHCP, DNS to the gateway), a subset of allow-list.
 * {@code ./flint fuzz egress}; the unit tests replay {@code EgressFilterFuzzTestInputs/replay}.
 */
public class EgressFilterFuzzTest {
    private static final List<InetAddress> DNS = List.of(InetAddress.ofLiteral("10.0.2.3"), InetAddress.ofLiteral("fec0::3"));
    private static final EgressFilter ALLOW_ALL = new EgressFilter(EgressPolicy.allowAll(), DNS);
    private static final EgressFilter DENY_ALL = new EgressFilter(EgressPolicy.denyAll(), DNS);
    private static final EgressFilter ONLY = new EgressFilter(
            EgressPolicy.allowOnly("93.184.216.0/24", "2001:db8:1::/48", "10.0.0.0/8"), DNS);

    public static void fuzzerTestOneInput(byte[] input) {
        int offset = input.length > 0 ? Byte.toUnsignedInt(input[0]) % 4 : 0;
        int length = Math.max(0, input.length - offset);
        FrameParser.parse(input, offset, length);
        ALLOW_ALL.check(input, offset, length);
        EgressFilter.Verdict denied = DENY_ALL.check(input, offset, length);
        EgressFilter.Verdict listed = ONLY.check(input, offset, length);
        if (denied == EgressFilter.Verdict.PASS && listed != EgressFilter.Verdict.PASS) {
            throw new AssertionError("deny-all passed a frame the allow list stopped (" + listed + ")");
        }
    }

    @FuzzTest
    @Timeout(10)
    void replay(byte[] input) {
        fuzzerTestOneInput(input);
    }
}
