package dev.flint.virtio.net;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;

/**
 * Builds Ethernet frames for tests the way a guest kernel would, checksums included (libslirp
 * verifies IP, TCP and UDP checksums and drops a frame that fails them).
 */
final class TestFrames {
    static final byte[] GUEST_MAC = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
    static final byte[] BROADCAST = {-1, -1, -1, -1, -1, -1};
    /** libslirp's own MAC: 52:55 followed by the gateway address. */
    static final byte[] SLIRP_MAC = {0x52, 0x55, 10, 0, 2, 2};
    static final int TCP_SYN = 0x02;
    static final int TCP_RST = 0x04;
    static final int TCP_ACK = 0x10;

    private TestFrames() {
    }

    /** An address's raw bytes; {@code ::ffff:a.b.c.d} stays 16 bytes (Java would turn it into an IPv4 address). */
    static byte[] ip(String literal) {
        if (literal.startsWith("::ffff:") && literal.indexOf('.') > 0) {
            byte[] mapped = new byte[16];
            mapped[10] = (byte) 0xff;
            mapped[11] = (byte) 0xff;
            System.arraycopy(InetAddress.ofLiteral(literal.substring(7)).getAddress(), 0, mapped, 12, 4);
            return mapped;
        }
        return InetAddress.ofLiteral(literal).getAddress();
    }

    static byte[] ethernet(byte[] destination, byte[] source, int etherType, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(14 + payload.length);
        b.put(destination).put(source).putShort((short) etherType).put(payload);
        return b.array();
    }

    static byte[] arpRequest(byte[] senderIp, byte[] targetIp) {
        ByteBuffer arp = ByteBuffer.allocate(28);
        arp.putShort((short) 1).putShort((short) 0x0800).put((byte) 6).put((byte) 4).putShort((short) 1);
        arp.put(GUEST_MAC).put(senderIp).put(new byte[6]).put(targetIp);
        return ethernet(BROADCAST, GUEST_MAC, FrameParser.ETHERTYPE_ARP, arp.array());
    }

    static byte[] ipv4(byte[] source, byte[] destination, int protocol, byte[] payload) {
        ByteBuffer h = ByteBuffer.allocate(20 + payload.length);
        h.put((byte) 0x45).put((byte) 0).putShort((short) (20 + payload.length)).putShort((short) 1)
                .putShort((short) 0x4000).put((byte) 64).put((byte) protocol).putShort((short) 0).put(source).put(destination);
        h.putShort(10, (short) checksum(h.array(), 0, 20, 0));
        h.position(20);
        h.put(payload);
        return h.array();
    }

    static byte[] ipv6(byte[] source, byte[] destination, int nextHeader, byte[] payload) {
        ByteBuffer h = ByteBuffer.allocate(40 + payload.length);
        h.putInt(0x60000000).putShort((short) payload.length).put((byte) nextHeader).put((byte) 64)
                .put(source).put(destination).put(payload);
        return h.array();
    }

    /** A UDP datagram (header and payload) with its checksum over the pseudo header. */
    static byte[] udp(byte[] source, byte[] destination, int sourcePort, int destinationPort, byte[] payload) {
        ByteBuffer u = ByteBuffer.allocate(8 + payload.length);
        u.putShort((short) sourcePort).putShort((short) destinationPort).putShort((short) (8 + payload.length))
                .putShort((short) 0).put(payload);
        int sum = checksum(u.array(), 0, u.capacity(), pseudoHeaderSum(source, destination, FrameSummary.PROTO_UDP, u.capacity()));
        u.putShort(6, (short) (sum == 0 ? 0xffff : sum));
        return u.array();
    }

    static byte[] tcp(byte[] source, byte[] destination, int sourcePort, int destinationPort, long sequence, long ack,
                      int flags) {
        ByteBuffer t = ByteBuffer.allocate(20);
        t.putShort((short) sourcePort).putShort((short) destinationPort).putInt((int) sequence).putInt((int) ack)
                .put((byte) 0x50).put((byte) flags).putShort((short) 65535).putShort((short) 0).putShort((short) 0);
        t.putShort(16, (short) checksum(t.array(), 0, 20, pseudoHeaderSum(source, destination, FrameSummary.PROTO_TCP, 20)));
        return t.array();
    }

    static byte[] udpFrame(String from, String to, int sourcePort, int destinationPort, byte[] payload) {
        byte[] s = ip(from);
        byte[] d = ip(to);
        byte[] datagram = udp(s, d, sourcePort, destinationPort, payload);
        return s.length == 4 ? ethernet(SLIRP_MAC, GUEST_MAC, FrameParser.ETHERTYPE_IPV4, ipv4(s, d, FrameSummary.PROTO_UDP, datagram))
                : ethernet(SLIRP_MAC, GUEST_MAC, FrameParser.ETHERTYPE_IPV6, ipv6(s, d, FrameSummary.PROTO_UDP, datagram));
    }

    static byte[] tcpSynFrame(String from, String to, int sourcePort, int destinationPort, long sequence) {
        byte[] s = ip(from);
        byte[] d = ip(to);
        byte[] segment = tcp(s, d, sourcePort, destinationPort, sequence, 0, TCP_SYN);
        return s.length == 4 ? ethernet(SLIRP_MAC, GUEST_MAC, FrameParser.ETHERTYPE_IPV4, ipv4(s, d, FrameSummary.PROTO_TCP, segment))
                : ethernet(SLIRP_MAC, GUEST_MAC, FrameParser.ETHERTYPE_IPV6, ipv6(s, d, FrameSummary.PROTO_TCP, segment));
    }

    /** A DHCPDISCOVER from {@link #GUEST_MAC}, padded to the full BOOTP size libslirp requires. */
    static byte[] dhcpDiscover(int transactionId) {
        ByteBuffer bootp = ByteBuffer.allocate(236 + 312);
        bootp.put((byte) 1).put((byte) 1).put((byte) 6).put((byte) 0).putInt(transactionId);
        bootp.position(28);
        bootp.put(GUEST_MAC);
        bootp.position(236);
        bootp.putInt(0x63825363).put((byte) 53).put((byte) 1).put((byte) 1).put((byte) 255);
        byte[] any = ip("0.0.0.0");
        byte[] all = ip("255.255.255.255");
        byte[] datagram = udp(any, all, 68, 67, bootp.array());
        return ethernet(BROADCAST, GUEST_MAC, FrameParser.ETHERTYPE_IPV4, ipv4(any, all, FrameSummary.PROTO_UDP, datagram));
    }

    private static int pseudoHeaderSum(byte[] source, byte[] destination, int protocol, int length) {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.writeBytes(source);
        p.writeBytes(destination);
        if (source.length == 4) {
            p.write(0);
            p.write(protocol);
            p.write(length >>> 8);
            p.write(length);
        } else {
            p.writeBytes(ByteBuffer.allocate(8).putInt(length).put(new byte[] {0, 0, 0, (byte) protocol}).array());
        }
        byte[] bytes = p.toByteArray();
        return sum(bytes, 0, bytes.length, 0);
    }

    private static int sum(byte[] data, int offset, int length, int initial) {
        long sum = initial;
        for (int i = 0; i < length; i += 2) {
            int hi = data[offset + i] & 0xff;
            int lo = i + 1 < length ? data[offset + i + 1] & 0xff : 0;
            sum += (hi << 8) | lo;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) sum;
    }

    /** The Internet checksum of {@code data} with a running pseudo-header sum folded in. */
    static int checksum(byte[] data, int offset, int length, int pseudoSum) {
        return ~sum(data, offset, length, pseudoSum) & 0xffff;
    }

    static int u16(byte[] b, int at) {
        return (b[at] & 0xff) << 8 | (b[at + 1] & 0xff);
    }

    static long u32(byte[] b, int at) {
        return ((long) u16(b, at) << 16) | u16(b, at + 2);
    }
}
