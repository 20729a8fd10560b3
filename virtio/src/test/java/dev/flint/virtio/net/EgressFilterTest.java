package dev.flint.virtio.net;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;

import static dev.flint.virtio.net.EgressFilter.Verdict.DENIED;
import static dev.flint.virtio.net.EgressFilter.Verdict.MALFORMED;
import static dev.flint.virtio.net.EgressFilter.Verdict.PASS;
import static dev.flint.virtio.net.TestFrames.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The egress policy over crafted frames: no native code involved. */
class EgressFilterTest {
    private static final List<InetAddress> DNS = List.of(InetAddress.ofLiteral("10.0.2.3"), InetAddress.ofLiteral("fec0::3"));
    private static final EgressFilter ALLOW_ALL = new EgressFilter(EgressPolicy.allowAll(), DNS);
    private static final EgressFilter DENY_ALL = new EgressFilter(EgressPolicy.denyAll(), DNS);
    private static final EgressFilter ONLY = new EgressFilter(
            EgressPolicy.allowOnly("93.184.216.0/24", "2001:db8:1::/48"), DNS);

    private static EgressFilter.Verdict check(EgressFilter filter, byte[] frame) {
        return filter.check(frame, 0, frame.length);
    }

    @Test
    void allowListPassesListedIpv4AndIpv6DestinationsAndDeniesOthers() {
        assertEquals(PASS, check(ONLY, TestFrames.tcpSynFrame("10.0.2.15", "93.184.216.34", 40000, 443, 1)));
        assertEquals(DENIED, check(ONLY, TestFrames.tcpSynFrame("10.0.2.15", "93.184.217.34", 40000, 443, 1)));
        assertEquals(DENIED, check(ONLY, TestFrames.udpFrame("10.0.2.15", "8.8.8.8", 5000, 53, new byte[12])),
                "DNS to an outside resolver is ordinary traffic");
        assertEquals(PASS, check(ONLY, TestFrames.tcpSynFrame("fec0::15", "2001:db8:1:ff::1", 40000, 443, 1)));
        assertEquals(DENIED, check(ONLY, TestFrames.tcpSynFrame("fec0::15", "2001:db8:2::1", 40000, 443, 1)));
    }

    @Test
    void ipv4MappedIpv6DestinationsAreJudgedAsTheirIpv4Address() {
        assertEquals(PASS, check(ONLY, TestFrames.tcpSynFrame("fec0::15", "::ffff:93.184.216.34", 40000, 443, 1)));
        assertEquals(DENIED, check(ONLY, TestFrames.tcpSynFrame("fec0::15", "::ffff:1.1.1.1", 40000, 443, 1)));
    }

    @Test
    void denyAllStillLetsArpDhcpNeighbourDiscoveryAndSlirpDnsThrough() {
        assertEquals(PASS, check(DENY_ALL, TestFrames.arpRequest(ip("10.0.2.15"), ip("10.0.2.2"))));
        assertEquals(PASS, check(DENY_ALL, TestFrames.dhcpDiscover(7)));
        assertEquals(PASS, check(DENY_ALL, TestFrames.udpFrame("10.0.2.15", "10.0.2.3", 5000, 53, new byte[12])));
        assertEquals(PASS, check(DENY_ALL, TestFrames.udpFrame("fec0::15", "fec0::3", 5000, 53, new byte[12])));
        byte[] routerSolicitation = TestFrames.ethernet(TestFrames.SLIRP_MAC, TestFrames.GUEST_MAC, FrameParser.ETHERTYPE_IPV6,
                TestFrames.ipv6(ip("fe80::1"), ip("ff02::2"), FrameSummary.PROTO_ICMPV6, new byte[] {(byte) 133, 0, 0, 0, 0, 0, 0, 0}));
        assertEquals(PASS, check(DENY_ALL, routerSolicitation));
    }

    @Test
    void denyAllDropsEverythingElseIncludingTheGatewayAndNonIpFrames() {
        assertEquals(DENIED, check(DENY_ALL, TestFrames.tcpSynFrame("10.0.2.15", "10.0.2.2", 40000, 22, 1)));
        assertEquals(DENIED, check(DENY_ALL, TestFrames.tcpSynFrame("10.0.2.15", "10.0.2.3", 40000, 80, 1)),
                "the DNS address only on port 53");
        assertEquals(DENIED, check(DENY_ALL, TestFrames.udpFrame("fec0::15", "2001:4860::8888", 5000, 443, new byte[4])));
        byte[] echoRequest = TestFrames.ethernet(TestFrames.SLIRP_MAC, TestFrames.GUEST_MAC, FrameParser.ETHERTYPE_IPV6,
                TestFrames.ipv6(ip("fec0::15"), ip("2001:db8::1"), FrameSummary.PROTO_ICMPV6, new byte[] {(byte) 128, 0, 0, 0, 0, 0, 0, 0}));
        assertEquals(DENIED, check(DENY_ALL, echoRequest));
        byte[] vlanTagged = TestFrames.ethernet(TestFrames.SLIRP_MAC, TestFrames.GUEST_MAC, 0x8100, new byte[46]);
        assertEquals(DENIED, check(DENY_ALL, vlanTagged));
        assertEquals(PASS, check(ALLOW_ALL, vlanTagged));
    }

    @Test
    void malformedFramesNeverPassEvenUnderAllowAll() {
        byte[] good = TestFrames.tcpSynFrame("10.0.2.15", "1.2.3.4", 40000, 80, 1);
        assertEquals(PASS, check(ALLOW_ALL, good));
        assertEquals(MALFORMED, check(ALLOW_ALL, Arrays.copyOf(good, 10)), "shorter than Ethernet");
        assertEquals(MALFORMED, check(ALLOW_ALL, Arrays.copyOf(good, 14 + 19)), "truncated IPv4 header");
        byte[] lyingLength = good.clone();
        lyingLength[14 + 2] = 0x7f; // total length far past the frame
        assertEquals(MALFORMED, check(ALLOW_ALL, lyingLength));
        byte[] shortIhl = good.clone();
        shortIhl[14] = 0x44; // header length 16 bytes
        assertEquals(MALFORMED, check(ALLOW_ALL, shortIhl));
        assertEquals(MALFORMED, check(ALLOW_ALL, Arrays.copyOf(good, 14 + 20 + 10)), "TCP header cut short");
        byte[] v6 = TestFrames.udpFrame("fec0::15", "2001:db8::1", 1, 2, new byte[8]);
        assertEquals(MALFORMED, check(ALLOW_ALL, Arrays.copyOf(v6, 14 + 30)), "truncated IPv6 header");
        byte[] wrongVersion = v6.clone();
        wrongVersion[14] = 0x40;
        assertEquals(MALFORMED, check(ALLOW_ALL, wrongVersion));
        byte[] arp = TestFrames.arpRequest(ip("10.0.2.15"), ip("10.0.2.2"));
        assertEquals(MALFORMED, check(ALLOW_ALL, Arrays.copyOf(arp, 14 + 20)), "truncated ARP");
    }

    @Test
    void parserWalksIpv6ExtensionHeadersToThePorts() {
        byte[] udp = TestFrames.udp(ip("fec0::15"), ip("2001:db8::1"), 1234, 53, new byte[4]);
        byte[] hopByHop = new byte[8 + udp.length];
        hopByHop[0] = (byte) FrameSummary.PROTO_UDP;
        System.arraycopy(udp, 0, hopByHop, 8, udp.length);
        byte[] frame = TestFrames.ethernet(TestFrames.SLIRP_MAC, TestFrames.GUEST_MAC, FrameParser.ETHERTYPE_IPV6,
                TestFrames.ipv6(ip("fec0::15"), ip("2001:db8::1"), 0, hopByHop));
        FrameSummary summary = FrameParser.parse(frame);
        assertEquals(FrameSummary.Kind.IPV6, summary.kind());
        assertEquals(FrameSummary.PROTO_UDP, summary.ipProtocol());
        assertEquals(1234, summary.sourcePort());
        assertEquals(53, summary.destinationPort());
    }

    @Test
    void cidrParsingIsStrictAndMatchesPrefixesBitByBit() {
        Cidr net = Cidr.parse("10.1.128.0/17");
        assertTrue(net.contains(ip("10.1.200.1")));
        assertFalse(net.contains(ip("10.1.127.255")));
        assertFalse(net.contains(ip("::1")), "another family never matches");
        assertTrue(Cidr.parse("0.0.0.0/0").contains(ip("203.0.113.9")));
        assertTrue(Cidr.parse("192.0.2.7").contains(ip("192.0.2.7")));
        assertFalse(Cidr.parse("192.0.2.7").contains(ip("192.0.2.8")));
        IllegalArgumentException hostBits = assertThrows(IllegalArgumentException.class, () -> Cidr.parse("10.1.2.3/8"));
        assertTrue(hostBits.getMessage().contains("10.0.0.0/8"), hostBits.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Cidr.parse("example.com/24"));
        assertThrows(IllegalArgumentException.class, () -> Cidr.parse("10.0.0.0/33"));
        assertThrows(IllegalArgumentException.class, () -> Cidr.parse("2001:db8::/x"));
        assertEquals("2001:db8:0:0:0:0:0:0/32", Cidr.parse("2001:db8::/32").toString());
    }

    @Test
    void anEmptyAllowListMeansDenyAll() {
        assertEquals("deny all", EgressPolicy.allowOnly(List.of()).toString());
        assertFalse(EgressPolicy.allowOnly(List.of()).allows(ip("1.1.1.1")));
    }
}
