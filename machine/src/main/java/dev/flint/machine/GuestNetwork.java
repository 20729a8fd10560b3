package dev.flint.machine;

import dev.flint.virtio.net.EgressPolicy;
import dev.flint.virtio.net.NetBackend;
import dev.flint.virtio.net.PortForward;
import dev.flint.virtio.net.SlirpBackend;
import dev.flint.virtio.net.TapBackend;
import dev.flint.vmm.net.HostPortInUseException;
import dev.flint.vmm.net.SlirpSettings;
import dev.flint.vmm.net.SlirpUnavailableException;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * A machine's network on the host side: the NAT or TAP backend its {@link NetworkPolicy} asks
 * for, and the address the agent gives the guest's eth0 before it reports ready.
 */
final class GuestNetwork {
    private static final SlirpSettings NAT = SlirpSettings.defaults();

    private GuestNetwork() {
    }

    static NetBackend openBackend(MachineConfig config) {
        NetworkPolicy network = config.network();
        EgressPolicy egress = switch (network.egress()) {
            case ALLOW_ALL -> EgressPolicy.allowAll();
            case DENY_ALL -> EgressPolicy.denyAll();
            case ALLOW_LISTED -> EgressPolicy.allowOnly(network.allowedCidrs().toArray(String[]::new));
        };
        try {
            if (network.tap().isPresent()) {
                return TapBackend.open(network.tap().get(), egress);
            }
            return new SlirpBackend(NAT, egress, config.ports().stream().map(GuestNetwork::forward).toList());
        } catch (HostPortInUseException e) {
            throw new InvalidConfigException(e.getMessage());
        } catch (SlirpUnavailableException e) {
            throw new HostUnsupportedException(e.getMessage()
                    + " (or create the machine with network(NetworkPolicy.none()))", e);
        } catch (IOException e) {
            throw new FlintException("machine " + config.name() + " could not open its network: " + e.getMessage(), e);
        }
    }

    /** The config's ports with the host ports the backend bound (0 resolved). */
    static List<PortSpec> boundPorts(MachineConfig config, NetBackend backend) {
        if (!(backend instanceof SlirpBackend slirp)) {
            return List.of();
        }
        List<PortSpec> bound = new ArrayList<>();
        for (PortForward forward : slirp.forwards()) {
            bound.add(new PortSpec(forward.hostPort(), forward.guestPort(),
                    forward.protocol() == PortForward.Protocol.UDP ? PortSpec.Protocol.UDP : PortSpec.Protocol.TCP,
                    forward.hostAddress().getHostAddress()));
        }
        return bound;
    }

    /**
     * {@code flint.net=ADDRESS/PREFIX,GATEWAY,DNS} for the agent, or empty for a TAP network,
     * whose addressing belongs to the user's bridge (the guest can run its own DHCP client).
     */
    static String bootArgument(MachineConfig config) {
        if (!config.network().enabled() || config.network().tap().isPresent()) {
            return "";
        }
        return "flint.net=" + NAT.guest().getHostAddress() + "/" + NAT.prefixLength() + ","
                + NAT.gateway().getHostAddress() + "," + NAT.dns().getHostAddress();
    }

    /** The guest's IPv4 address on the NAT network. */
    static Inet4Address guestAddress() {
        return NAT.guest();
    }

    private static PortForward forward(PortSpec port) {
        return new PortForward(port.protocol() == PortSpec.Protocol.UDP ? PortForward.Protocol.UDP : PortForward.Protocol.TCP,
                (Inet4Address) InetAddress.ofLiteral(port.hostAddress()), port.hostPort(), port.guestPort());
    }
}
