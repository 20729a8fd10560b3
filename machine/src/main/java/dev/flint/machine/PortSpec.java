package dev.flint.machine;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Locale;
import java.util.Objects;

/**
 * A host port forwarded to a guest port through the machine's user-mode NAT. {@code hostPort}
 * 0 picks a free port; {@link Machine#ports()} reports the one chosen. The host side listens on
 * {@code hostAddress}, 127.0.0.1 unless told otherwise, so only this host can connect.
 *
 * <pre>{@code
 * try (Machine m = Machine.create(MachineConfig.builder().name("web")
 *         .port(PortSpec.tcp(0, 8000))               // any free host port
 *         .port(PortSpec.parse("udp:5353:53"))
 *         .build())) {
 *     m.exec(List.of("httpd", "-p", "8000")).assertSuccess();   // busybox httpd, in the background
 *     URI url = m.url(8000);                          // http://127.0.0.1:PORT/, the port chosen
 * }
 * }</pre>
 */
public record PortSpec(int hostPort, int guestPort, Protocol protocol, String hostAddress) {
    /** The forwarded protocol. */
    public enum Protocol {
        /** TCP: each host connection becomes a guest connection. */
        TCP,
        /** UDP: datagrams forwarded both ways. */
        UDP
    }

    /** Checks the ports (host 0-65535, 0 for any free one; guest 1-65535) and that the host address is an IPv4 literal. */
    public PortSpec {
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(hostAddress, "hostAddress");
        if (hostPort < 0 || hostPort > 65535) {
            throw new InvalidConfigException("host port " + hostPort + " is out of range; use 1-65535, or 0 for any free port");
        }
        if (guestPort < 1 || guestPort > 65535) {
            throw new InvalidConfigException("guest port " + guestPort + " is out of range; use 1-65535");
        }
        if (!isIpv4Literal(hostAddress)) {
            throw new InvalidConfigException("host address '" + hostAddress + "' must be an IPv4 literal such as 127.0.0.1");
        }
    }

    /** TCP from 127.0.0.1:{@code hostPort} to the guest's {@code guestPort}. */
    public static PortSpec tcp(int hostPort, int guestPort) {
        return new PortSpec(hostPort, guestPort, Protocol.TCP, "127.0.0.1");
    }

    /** UDP from 127.0.0.1:{@code hostPort} to the guest's {@code guestPort}. */
    public static PortSpec udp(int hostPort, int guestPort) {
        return new PortSpec(hostPort, guestPort, Protocol.UDP, "127.0.0.1");
    }

    /** {@code [tcp:|udp:][ADDRESS:]HOST:GUEST}, e.g. {@code 8080:80}, {@code udp:5353:53}, {@code 0.0.0.0:8080:80}. */
    public static PortSpec parse(String text) {
        String usage = "'" + text + "' is not a port; write [tcp:|udp:][hostaddress:]hostport:guestport, e.g. 8080:80";
        String rest = text;
        Protocol protocol = Protocol.TCP;
        String lower = text.toLowerCase(Locale.ROOT);
        if (lower.startsWith("tcp:") || lower.startsWith("udp:")) {
            protocol = lower.startsWith("udp:") ? Protocol.UDP : Protocol.TCP;
            rest = text.substring(4);
        }
        String[] parts = rest.split(":", -1);
        if (parts.length != 2 && parts.length != 3) {
            throw new InvalidConfigException(usage);
        }
        try {
            return new PortSpec(Integer.parseInt(parts[parts.length - 2]), Integer.parseInt(parts[parts.length - 1]),
                    protocol, parts.length == 3 ? parts[0] : "127.0.0.1");
        } catch (NumberFormatException e) {
            throw new InvalidConfigException(usage);
        }
    }

    private static boolean isIpv4Literal(String address) {
        try {
            return InetAddress.ofLiteral(address) instanceof Inet4Address;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return protocol.name().toLowerCase(Locale.ROOT) + ":" + hostAddress + ":" + hostPort + ":" + guestPort;
    }
}
