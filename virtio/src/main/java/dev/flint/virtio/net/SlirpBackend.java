package dev.flint.virtio.net;

import dev.flint.vmm.net.HostPortInUseException;
import dev.flint.vmm.net.SlirpSettings;
import dev.flint.vmm.net.SlirpStack;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * User-mode NAT networking through libslirp (no privileges, no host configuration): the guest
 * gets 10.0.2.15 by DHCP, gateway 10.0.2.2, DNS 10.0.2.3 (and IPv6 fec0::/64 by router
 * advertisement) unless {@link SlirpSettings} say otherwise. By default the guest cannot reach
 * the host's loopback services through the gateway. Every guest frame passes the
 * {@link EgressFilter} before libslirp sees it. Port forwards are bound when the backend is
 * created, so a port in use fails here, before the VM boots.
 */
public final class SlirpBackend implements NetBackend {
    private static final Logger LOG = Logger.getLogger(SlirpBackend.class.getName());
    /** Attempts to bind a free port when another process takes the probed one first. */
    private static final int FREE_PORT_ATTEMPTS = 5;

    private final SlirpStack stack;
    private final EgressFilter filter;
    private final List<PortForward> forwards;
    private final BackendCounters counters = new BackendCounters();
    private volatile FrameSink sink;

    /** The default network, allow-all egress, no port forwards. */
    public SlirpBackend() throws IOException {
        this(SlirpSettings.defaults(), EgressPolicy.allowAll(), List.of());
    }

    /**
     * A slirp network with {@code settings}, guest traffic judged by {@code policy}, and
     * {@code forwards} bound on the host.
     *
     * @throws dev.flint.vmm.net.SlirpUnavailableException when libslirp is not installed (Debian: libslirp0)
     * @throws HostPortInUseException when a forward's host port is taken
     * @throws IOException when libslirp rejects the settings or a forward cannot bind
     */
    public SlirpBackend(SlirpSettings settings, EgressPolicy policy, List<PortForward> forwards) throws IOException {
        List<java.net.InetAddress> dns = new ArrayList<>(List.of(settings.dns()));
        if (settings.ipv6()) {
            dns.add(settings.dns6());
        }
        // Deny-all refuses DNS too: slirp answers queries through the host's resolver, a way out.
        this.filter = new EgressFilter(policy, policy.allowsNothing() ? List.of() : dns);
        this.stack = SlirpStack.create(settings, new SlirpStack.Host() {
            @Override
            public void toGuest(byte[] frame) {
                FrameSink target = sink;
                if (target != null) {
                    counters.toGuest.increment();
                    target.toGuest(frame);
                }
            }

            @Override
            public void error(String message) {
                LOG.warning(message);
            }
        });
        try {
            List<PortForward> bound = new ArrayList<>();
            for (PortForward forward : forwards) {
                bound.add(bind(forward));
            }
            this.forwards = List.copyOf(bound);
        } catch (IOException | RuntimeException e) {
            stack.close();
            throw e;
        }
    }

    private PortForward bind(PortForward forward) throws IOException {
        boolean udp = forward.protocol() == PortForward.Protocol.UDP;
        if (forward.hostPort() != 0) {
            stack.addHostForward(udp, forward.hostAddress(), forward.hostPort(), forward.guestPort());
            return forward;
        }
        for (int attempt = 1; ; attempt++) {
            int port = freePort(udp, forward);
            try {
                stack.addHostForward(udp, forward.hostAddress(), port, forward.guestPort());
                return forward.onHostPort(port);
            } catch (HostPortInUseException e) {
                if (attempt == FREE_PORT_ATTEMPTS) {
                    throw new IOException("no free host port for " + forward + " after " + attempt
                            + " attempts; other processes keep taking them, so give a fixed port", e);
                }
            }
        }
    }

    /** Asks the kernel for a free port by binding and closing a probe socket; another process could take it in between, hence the retry. */
    private static int freePort(boolean udp, PortForward forward) throws IOException {
        InetSocketAddress any = new InetSocketAddress(forward.hostAddress(), 0);
        if (udp) {
            try (DatagramSocket probe = new DatagramSocket(any)) {
                return probe.getLocalPort();
            }
        }
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(any);
            return probe.getLocalPort();
        }
    }

    /** The forwards as bound: a requested port 0 replaced by the port chosen. */
    public List<PortForward> forwards() {
        return forwards;
    }

    public SlirpSettings settings() {
        return stack.settings();
    }

    public EgressPolicy policy() {
        return filter.policy();
    }

    @Override
    public void start(FrameSink toGuest) {
        this.sink = toGuest;
        stack.start();
    }

    @Override
    public void send(byte[] frame, int offset, int length) {
        if (!counters.admit(filter.check(frame, offset, length))) {
            return;
        }
        counters.fromGuest.increment();
        stack.input(frame, offset, length);
    }

    @Override
    public void flush() {
        stack.inputDone();
    }

    @Override
    public BackendStats stats() {
        return counters.snapshot();
    }

    @Override
    public void close() {
        sink = null;
        stack.close();
    }
}
