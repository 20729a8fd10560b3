package dev.flint.virtio.net;

import java.util.Arrays;

/**
 * Reads the headers of an outbound Ethernet frame (Ethernet II, ARP, IPv4, IPv6 with its
 * extension headers, TCP/UDP ports, ICMPv6 type) without trusting any length in it: a frame
 * whose headers run past its end or contradict themselves is {@link FrameSummary.Kind#MALFORMED}.
 * Pure Java, so the egress policy is unit-tested with crafted frames.
 */
public final class FrameParser {
    public static final int ETHERNET_HEADER = 14;
    public static final int ETHERTYPE_IPV4 = 0x0800;
    public static final int ETHERTYPE_ARP = 0x0806;
    public static final int ETHERTYPE_IPV6 = 0x86dd;
    /** Extension headers walked before giving up, so a crafted chain cannot loop us for long. */
    private static final int MAX_EXTENSION_HEADERS = 8;

    private FrameParser() {
    }

    public static FrameSummary parse(byte[] frame) {
        return parse(frame, 0, frame.length);
    }

    public static FrameSummary parse(byte[] frame, int offset, int length) {
        if (length < ETHERNET_HEADER) {
            return FrameSummary.malformed("frame of " + length + " bytes is shorter than an Ethernet header");
        }
        int etherType = u16(frame, offset + 12);
        int at = offset + ETHERNET_HEADER;
        int end = offset + length;
        return switch (etherType) {
            case ETHERTYPE_ARP -> end - at >= 28 ? FrameSummary.of(FrameSummary.Kind.ARP)
                    : FrameSummary.malformed("ARP packet of " + (end - at) + " bytes is shorter than 28");
            case ETHERTYPE_IPV4 -> ipv4(frame, at, end);
            case ETHERTYPE_IPV6 -> ipv6(frame, at, end);
            default -> FrameSummary.of(FrameSummary.Kind.OTHER);
        };
    }

    private static FrameSummary ipv4(byte[] f, int at, int end) {
        if (end - at < 20) {
            return FrameSummary.malformed("IPv4 packet of " + (end - at) + " bytes is shorter than its header");
        }
        int version = (f[at] & 0xff) >>> 4;
        int headerLength = (f[at] & 0x0f) * 4;
        int totalLength = u16(f, at + 2);
        if (version != 4 || headerLength < 20 || totalLength < headerLength || totalLength > end - at) {
            return FrameSummary.malformed("IPv4 header says version " + version + ", header " + headerLength
                    + " bytes, total " + totalLength + " in " + (end - at) + " bytes");
        }
        int fragmentOffset = u16(f, at + 6) & 0x1fff;
        int protocol = f[at + 9] & 0xff;
        byte[] source = Arrays.copyOfRange(f, at + 12, at + 16);
        byte[] destination = Arrays.copyOfRange(f, at + 16, at + 20);
        int payload = at + headerLength;
        int payloadEnd = at + totalLength;
        if (fragmentOffset != 0) {
            return new FrameSummary(FrameSummary.Kind.IPV4, null, source, destination, protocol, -1, -1, -1);
        }
        return transport(FrameSummary.Kind.IPV4, f, payload, payloadEnd, protocol, source, destination);
    }

    private static FrameSummary ipv6(byte[] f, int at, int end) {
        if (end - at < 40) {
            return FrameSummary.malformed("IPv6 packet of " + (end - at) + " bytes is shorter than its header");
        }
        int version = (f[at] & 0xff) >>> 4;
        int payloadLength = u16(f, at + 4);
        if (version != 6 || payloadLength > end - at - 40) {
            return FrameSummary.malformed("IPv6 header says version " + version + ", payload " + payloadLength
                    + " bytes in " + (end - at - 40));
        }
        byte[] source = Arrays.copyOfRange(f, at + 8, at + 24);
        byte[] destination = Arrays.copyOfRange(f, at + 24, at + 40);
        int next = f[at + 6] & 0xff;
        int cursor = at + 40;
        int payloadEnd = at + 40 + payloadLength;
        for (int i = 0; i <= MAX_EXTENSION_HEADERS; i++) {
            switch (next) {
                case 0, 43, 60 -> { // hop-by-hop, routing, destination options: (len + 1) * 8 bytes
                    if (payloadEnd - cursor < 8) {
                        return FrameSummary.malformed("IPv6 extension header " + next + " runs past the packet");
                    }
                    int length = ((f[cursor + 1] & 0xff) + 1) * 8;
                    if (payloadEnd - cursor < length) {
                        return FrameSummary.malformed("IPv6 extension header " + next + " runs past the packet");
                    }
                    next = f[cursor] & 0xff;
                    cursor += length;
                }
                case 44 -> { // fragment: 8 bytes; only the first fragment carries ports
                    if (payloadEnd - cursor < 8) {
                        return FrameSummary.malformed("IPv6 fragment header runs past the packet");
                    }
                    int fragmentOffset = u16(f, cursor + 2) >>> 3;
                    next = f[cursor] & 0xff;
                    cursor += 8;
                    if (fragmentOffset != 0) {
                        return new FrameSummary(FrameSummary.Kind.IPV6, null, source, destination, next, -1, -1, -1);
                    }
                }
                default -> {
                    return transport(FrameSummary.Kind.IPV6, f, cursor, payloadEnd, next, source, destination);
                }
            }
        }
        return FrameSummary.malformed("IPv6 packet has more than " + MAX_EXTENSION_HEADERS + " extension headers");
    }

    private static FrameSummary transport(FrameSummary.Kind kind, byte[] f, int at, int end, int protocol,
                                          byte[] source, byte[] destination) {
        int available = end - at;
        switch (protocol) {
            case FrameSummary.PROTO_TCP, FrameSummary.PROTO_UDP -> {
                int minimum = protocol == FrameSummary.PROTO_TCP ? 20 : 8;
                if (available < minimum) {
                    return FrameSummary.malformed((protocol == FrameSummary.PROTO_TCP ? "TCP" : "UDP") + " segment of "
                            + available + " bytes is shorter than its header");
                }
                return new FrameSummary(kind, null, source, destination, protocol, u16(f, at), u16(f, at + 2), -1);
            }
            case FrameSummary.PROTO_ICMPV6 -> {
                if (available < 4) {
                    return FrameSummary.malformed("ICMPv6 message of " + available + " bytes is shorter than its header");
                }
                return new FrameSummary(kind, null, source, destination, protocol, -1, -1, f[at] & 0xff);
            }
            default -> {
                return new FrameSummary(kind, null, source, destination, protocol, -1, -1, -1);
            }
        }
    }

    private static int u16(byte[] f, int at) {
        return (f[at] & 0xff) << 8 | (f[at + 1] & 0xff);
    }
}
