package dev.flint.virtio.net;

import java.net.InetAddress;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

/**
 * Applies an {@link EgressPolicy} to each frame the guest sends, before any backend sees it.
 * Link plumbing always passes, whatever the policy, because without it the guest cannot even
 * configure its interface: ARP, IPv6 neighbour/router discovery, DHCP (v4 and v6) and DNS to the
 * network's own DNS servers. Anything else is judged by its destination address; non-IP frames
 * pass only under allow-all. Malformed frames never pass.
 */
public final class EgressFilter {
    /** What happens to one frame. */
    public enum Verdict { PASS, DENIED, MALFORMED }

    private static final int DHCP_CLIENT = 68;
    private static final int DHCP_SERVER = 67;
    private static final int DHCPV6_CLIENT = 546;
    private static final int DHCPV6_SERVER = 547;
    private static final int DNS = 53;
    /** ICMPv6 router solicitation (133) through redirect (137). */
    private static final int NDP_FIRST = 133;
    private static final int NDP_LAST = 137;

    private final EgressPolicy policy;
    private final List<byte[]> dnsServers;

    /** {@code dnsServers}: the addresses DNS may always reach (the slirp network's resolver); may be empty. */
    public EgressFilter(EgressPolicy policy, Collection<? extends InetAddress> dnsServers) {
        this.policy = policy;
        this.dnsServers = dnsServers.stream().map(InetAddress::getAddress).toList();
    }

    public EgressPolicy policy() {
        return policy;
    }

    public Verdict check(byte[] frame, int offset, int length) {
        FrameSummary summary = FrameParser.parse(frame, offset, length);
        return switch (summary.kind()) {
            case MALFORMED -> Verdict.MALFORMED;
            case ARP -> Verdict.PASS;
            case OTHER -> policy.allowsEverything() ? Verdict.PASS : Verdict.DENIED;
            case IPV4, IPV6 -> alwaysAllowed(summary) || policy.allows(summary.destination()) ? Verdict.PASS : Verdict.DENIED;
        };
    }

    private boolean alwaysAllowed(FrameSummary s) {
        if (s.ipProtocol() == FrameSummary.PROTO_ICMPV6 && s.icmpType() >= NDP_FIRST && s.icmpType() <= NDP_LAST) {
            return true;
        }
        if (s.isUdp() && (s.sourcePort() == DHCP_CLIENT && s.destinationPort() == DHCP_SERVER
                || s.sourcePort() == DHCPV6_CLIENT && s.destinationPort() == DHCPV6_SERVER)) {
            return true;
        }
        return (s.isUdp() || s.isTcp()) && s.destinationPort() == DNS && isDnsServer(s.destination());
    }

    private boolean isDnsServer(byte[] address) {
        for (byte[] server : dnsServers) {
            if (Arrays.equals(server, address)) {
                return true;
            }
        }
        return false;
    }
}
