package dev.flint.vmm.net;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * The virtual network a libslirp stack emulates: QEMU's well-known user-mode layout by default
 * (10.0.2.0/24, gateway 10.0.2.2, DNS 10.0.2.3, the guest's DHCP lease 10.0.2.15; IPv6 prefix
 * fec0::/64 with gateway fec0::2 and DNS fec0::3 handed out by router advertisements).
 *
 * @param hostLoopback whether the guest may reach the host's 127.0.0.1 services through the
 *                     gateway address; off by default so a guest cannot talk to host-local daemons
 * @param mtu          the link MTU (IPv4 and IPv6), 68 to 65521; 1500 by default
 */
public record SlirpSettings(Inet4Address network, int prefixLength, Inet4Address gateway, Inet4Address dns,
                            Inet4Address guest, boolean ipv6, Inet6Address prefix6, int prefix6Length,
                            Inet6Address gateway6, Inet6Address dns6, boolean hostLoopback, int mtu) {

    public SlirpSettings {
        if (prefixLength < 8 || prefixLength > 30) {
            throw new IllegalArgumentException("slirp network prefix /" + prefixLength + " is out of range; use /8 to /30");
        }
        if (prefix6Length < 1 || prefix6Length > 126) {
            throw new IllegalArgumentException("slirp IPv6 prefix /" + prefix6Length + " is out of range; use /1 to /126 (normally /64)");
        }
        if (mtu < 68 || mtu > 65521) {
            throw new IllegalArgumentException("slirp MTU " + mtu + " is out of range; use 68 to 65521 (normally 1500)");
        }
        for (Inet4Address inside : new Inet4Address[] {gateway, dns, guest}) {
            if (!sameNetwork(inside, network, prefixLength)) {
                throw new IllegalArgumentException(inside.getHostAddress() + " is outside the slirp network "
                        + network.getHostAddress() + "/" + prefixLength + "; pick addresses inside it");
            }
        }
    }

    /** 10.0.2.0/24, gateway .2, DNS .3, guest .15, IPv6 on, no host loopback, MTU 1500. */
    public static SlirpSettings defaults() {
        return new SlirpSettings(v4("10.0.2.0"), 24, v4("10.0.2.2"), v4("10.0.2.3"), v4("10.0.2.15"),
                true, v6("fec0::"), 64, v6("fec0::2"), v6("fec0::3"), false, 1500);
    }

    public SlirpSettings withHostLoopback(boolean allowed) {
        return new SlirpSettings(network, prefixLength, gateway, dns, guest, ipv6, prefix6, prefix6Length,
                gateway6, dns6, allowed, mtu);
    }

    public SlirpSettings withIpv6(boolean enabled) {
        return new SlirpSettings(network, prefixLength, gateway, dns, guest, enabled, prefix6, prefix6Length,
                gateway6, dns6, hostLoopback, mtu);
    }

    /** The network mask matching {@link #prefixLength()}. */
    public Inet4Address netmask() {
        int mask = -1 << (32 - prefixLength);
        return (Inet4Address) InetAddress.ofLiteral(((mask >>> 24) & 0xff) + "." + ((mask >>> 16) & 0xff) + "."
                + ((mask >>> 8) & 0xff) + "." + (mask & 0xff));
    }

    private static boolean sameNetwork(Inet4Address address, Inet4Address network, int prefixLength) {
        int mask = -1 << (32 - prefixLength);
        return (toInt(address) & mask) == (toInt(network) & mask);
    }

    private static int toInt(Inet4Address address) {
        byte[] b = address.getAddress();
        return (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
    }

    private static Inet4Address v4(String literal) {
        return (Inet4Address) InetAddress.ofLiteral(literal);
    }

    private static Inet6Address v6(String literal) {
        return (Inet6Address) InetAddress.ofLiteral(literal);
    }
}
