package dev.flint.virtio.net;

import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * Forwards connections to a host port into the guest (user-mode networking only), like QEMU's
 * {@code hostfwd}. A host port of 0 lets the backend pick a free one; it reports the one chosen.
 *
 * @param hostAddress the host address to listen on; 127.0.0.1 by default so only this host can connect
 */
public record PortForward(Protocol protocol, Inet4Address hostAddress, int hostPort, int guestPort) {
    public enum Protocol { TCP, UDP }

    public static final Inet4Address LOOPBACK = (Inet4Address) InetAddress.ofLiteral("127.0.0.1");

    public PortForward {
        if (hostPort < 0 || hostPort > 65535) {
            throw new IllegalArgumentException("host port " + hostPort + " is out of range; use 1-65535, or 0 for any free port");
        }
        if (guestPort < 1 || guestPort > 65535) {
            throw new IllegalArgumentException("guest port " + guestPort + " is out of range; use 1-65535");
        }
    }

    public static PortForward tcp(int hostPort, int guestPort) {
        return new PortForward(Protocol.TCP, LOOPBACK, hostPort, guestPort);
    }

    public static PortForward udp(int hostPort, int guestPort) {
        return new PortForward(Protocol.UDP, LOOPBACK, hostPort, guestPort);
    }

    /**
     * Parses {@code tcp:8080:80}, {@code udp:0.0.0.0:5353:53} (protocol, optional IPv4 host
     * address, host port, guest port).
     */
    public static PortForward parse(String text) {
        String[] parts = text.split(":");
        String usage = "'" + text + "' is not a port forward; write tcp|udp:[hostaddress:]hostport:guestport, e.g. tcp:8080:80";
        if (parts.length != 3 && parts.length != 4) {
            throw new IllegalArgumentException(usage);
        }
        Protocol protocol = switch (parts[0].toLowerCase(java.util.Locale.ROOT)) {
            case "tcp" -> Protocol.TCP;
            case "udp" -> Protocol.UDP;
            default -> throw new IllegalArgumentException(usage);
        };
        Inet4Address host = LOOPBACK;
        if (parts.length == 4) {
            try {
                host = (Inet4Address) InetAddress.ofLiteral(parts[1]);
            } catch (IllegalArgumentException | ClassCastException e) {
                throw new IllegalArgumentException(usage + " (the host address must be an IPv4 literal)", e);
            }
        }
        try {
            return new PortForward(protocol, host, Integer.parseInt(parts[parts.length - 2]), Integer.parseInt(parts[parts.length - 1]));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(usage, e);
        }
    }

    /** The same forward on {@code port}, once a free one was chosen. */
    public PortForward onHostPort(int port) {
        return new PortForward(protocol, hostAddress, port, guestPort);
    }

    @Override
    public String toString() {
        return protocol.name().toLowerCase(java.util.Locale.ROOT) + ":" + hostAddress.getHostAddress() + ":" + hostPort + "->" + guestPort;
    }
}
