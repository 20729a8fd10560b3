package dev.flint.virtio.net;

/**
 * What an outbound Ethernet frame is, as far as the egress policy cares: its kind, IP addresses,
 * transport protocol and ports. Addresses are raw (4 or 16 bytes); ports and ICMP type are -1
 * when the frame carries none (not TCP/UDP, or a non-first fragment).
 */
public record FrameSummary(Kind kind, String problem, byte[] source, byte[] destination, int ipProtocol,
                           int sourcePort, int destinationPort, int icmpType) {
    public static final int PROTO_TCP = 6;
    public static final int PROTO_UDP = 17;
    public static final int PROTO_ICMPV6 = 58;

    public enum Kind { ARP, IPV4, IPV6, OTHER, MALFORMED }

    static FrameSummary malformed(String problem) {
        return new FrameSummary(Kind.MALFORMED, problem, null, null, -1, -1, -1, -1);
    }

    static FrameSummary of(Kind kind) {
        return new FrameSummary(kind, null, null, null, -1, -1, -1, -1);
    }

    public boolean isUdp() {
        return ipProtocol == PROTO_UDP;
    }

    public boolean isTcp() {
        return ipProtocol == PROTO_TCP;
    }
}
