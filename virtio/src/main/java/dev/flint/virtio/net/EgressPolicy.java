package dev.flint.virtio.net;

import java.util.Arrays;
import java.util.Collection;
import java.util.List;

/**
 * Which destinations the guest may send to: everything (the default), nothing, or only the
 * listed IPv4/IPv6 networks. An IPv4-mapped IPv6 destination ({@code ::ffff:a.b.c.d}) is judged
 * as the IPv4 address it maps to, since a dual-stack host socket would reach exactly that.
 */
public final class EgressPolicy {
    private static final EgressPolicy ALLOW_ALL = new EgressPolicy(true, List.of());
    private static final EgressPolicy DENY_ALL = new EgressPolicy(false, List.of());
    private static final byte[] V4_MAPPED_PREFIX = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff};

    private final boolean allowAll;
    private final List<Cidr> allowed;

    private EgressPolicy(boolean allowAll, List<Cidr> allowed) {
        this.allowAll = allowAll;
        this.allowed = allowed;
    }

    public static EgressPolicy allowAll() {
        return ALLOW_ALL;
    }

    public static EgressPolicy denyAll() {
        return DENY_ALL;
    }

    /** Only destinations inside {@code networks}; an empty list denies everything. */
    public static EgressPolicy allowOnly(Collection<Cidr> networks) {
        return networks.isEmpty() ? DENY_ALL : new EgressPolicy(false, List.copyOf(networks));
    }

    /** {@link #allowOnly(Collection)} from CIDR strings such as {@code "10.0.0.0/8"}. */
    public static EgressPolicy allowOnly(String... networks) {
        return allowOnly(Arrays.stream(networks).map(Cidr::parse).toList());
    }

    public boolean allowsEverything() {
        return allowAll;
    }

    /** Deny-all: nothing leaves, DNS included (a resolver forwards queries out of the host). */
    public boolean allowsNothing() {
        return !allowAll && allowed.isEmpty();
    }

    public List<Cidr> allowedNetworks() {
        return allowed;
    }

    /** Whether the guest may send to {@code destination} (4 or 16 raw bytes). */
    public boolean allows(byte[] destination) {
        if (allowAll) {
            return true;
        }
        byte[] judged = isV4Mapped(destination) ? Arrays.copyOfRange(destination, 12, 16) : destination;
        for (Cidr network : allowed) {
            if (network.contains(judged)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isV4Mapped(byte[] address) {
        return address.length == 16 && Arrays.equals(address, 0, 12, V4_MAPPED_PREFIX, 0, 12);
    }

    @Override
    public String toString() {
        return allowAll ? "allow all" : allowed.isEmpty() ? "deny all" : "allow only " + allowed;
    }
}
