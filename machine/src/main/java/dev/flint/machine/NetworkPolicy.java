package dev.flint.machine;

import java.util.List;
import java.util.Optional;

/**
 * The machine's network: none, or a virtio-net NIC behind user-mode NAT (libslirp, no root) or
 * a TAP device the user manages, with an egress policy enforced in the host on every packet the
 * guest sends: allow all (default), deny all, or allow only the listed IPv4/IPv6 CIDRs. Denied
 * packets are dropped and counted. The guest never reaches the host's loopback services.
 *
 * <p>Under deny-all the guest's DNS queries are refused too (they would leave through the
 * host's resolver); under an allow list they go through, so names resolve.
 *
 * <pre>{@code
 * MachineConfig.builder().network(NetworkPolicy.none());                          // no NIC
 * MachineConfig.builder().network(NetworkPolicy.denyAll());                       // a NIC, nothing leaves
 * MachineConfig.builder().network(NetworkPolicy.allowOnly("10.1.0.0/16", "2001:db8::/32"))
 *         .port(PortSpec.tcp(8080, 80));                                          // host 127.0.0.1:8080 to guest 80
 * }</pre>
 */
public record NetworkPolicy(boolean enabled, Egress egress, List<String> allowedCidrs, Optional<String> tap) {
    /** What may leave the guest: everything, nothing, or packets to {@code allowedCidrs} only. */
    public enum Egress {
        /** Every packet may leave. */
        ALLOW_ALL,
        /** No packet leaves (DNS included). */
        DENY_ALL,
        /** Only packets to {@code allowedCidrs} leave. */
        ALLOW_LISTED
    }

    /** Copies the allow list and checks the TAP device's name. */
    public NetworkPolicy {
        allowedCidrs = List.copyOf(allowedCidrs);
        if (tap.isPresent() && !tap.get().matches("[A-Za-z0-9_.-]{1,15}")) {
            throw new InvalidConfigException("tap name must be 1-15 letters, digits or '_.-', got '" + tap.get() + "'");
        }
    }

    /** No network device at all. */
    public static NetworkPolicy none() {
        return new NetworkPolicy(false, Egress.DENY_ALL, List.of(), Optional.empty());
    }

    /** A NIC behind user-mode NAT, every packet allowed out (the default). */
    public static NetworkPolicy allowAll() {
        return new NetworkPolicy(true, Egress.ALLOW_ALL, List.of(), Optional.empty());
    }

    /** A NIC behind user-mode NAT that lets nothing out, DNS included. */
    public static NetworkPolicy denyAll() {
        return new NetworkPolicy(true, Egress.DENY_ALL, List.of(), Optional.empty());
    }

    /** Only packets to these networks leave, e.g. {@code allowOnly("10.1.0.0/16", "2001:db8::/32")}. */
    public static NetworkPolicy allowOnly(String... cidrs) {
        if (cidrs.length == 0) {
            throw new InvalidConfigException("allowOnly needs at least one CIDR; use denyAll() to allow nothing");
        }
        return new NetworkPolicy(true, Egress.ALLOW_LISTED, List.of(cidrs), Optional.empty());
    }

    /** The same policy through an existing TAP device (needs CAP_NET_ADMIN or a tap owned by this user). */
    public NetworkPolicy viaTap(String name) {
        return new NetworkPolicy(enabled, egress, allowedCidrs, Optional.of(name));
    }
}
