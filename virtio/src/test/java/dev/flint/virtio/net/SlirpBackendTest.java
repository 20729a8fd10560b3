package dev.flint.virtio.net;

import dev.flint.vmm.net.HostPortInUseException;
import dev.flint.vmm.net.LibSlirp;
import dev.flint.vmm.net.SlirpSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static dev.flint.virtio.net.TestFrames.ip;
import static dev.flint.virtio.net.TestFrames.u16;
import static dev.flint.virtio.net.TestFrames.u32;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A real libslirp stack in this process, no VM: the test plays the guest, writing Ethernet
 * frames into {@link SlirpBackend} and reading what comes back. Needs {@code libslirp.so.0}
 * (Debian: libslirp0); every test skips, naming it, when the library is missing.
 */
class SlirpBackendTest {
    private static final long WAIT_MILLIS = 5_000;
    private final LinkedBlockingQueue<byte[]> toGuest = new LinkedBlockingQueue<>();
    private final List<AutoCloseable> closeAfter = new ArrayList<>();

    @BeforeAll
    static void needsLibslirp() {
        assumeTrue(LibSlirp.unavailableReason().isEmpty(), () -> LibSlirp.unavailableReason().orElse(""));
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closeAfter.reversed()) {
            c.close();
        }
    }

    private SlirpBackend started(SlirpSettings settings, EgressPolicy policy, List<PortForward> forwards) throws IOException {
        SlirpBackend backend = new SlirpBackend(settings, policy, forwards);
        closeAfter.add(backend);
        backend.start(toGuest::add);
        return backend;
    }

    private static void send(SlirpBackend backend, byte[] frame) {
        backend.send(frame, 0, frame.length);
        backend.flush();
    }

    /** The first frame for the guest matching {@code wanted} within the wait, or null. */
    private byte[] await(Predicate<byte[]> wanted, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        for (long left = millis; left > 0; left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())) {
            byte[] frame = toGuest.poll(left, TimeUnit.MILLISECONDS);
            if (frame != null && wanted.test(frame)) {
                return frame;
            }
        }
        return null;
    }

    private static boolean isIpv4(byte[] f, int protocol) {
        return f.length >= 34 && u16(f, 12) == FrameParser.ETHERTYPE_IPV4 && (f[23] & 0xff) == protocol;
    }

    /** Offset of the transport header in an IPv4 frame. */
    private static int l4(byte[] f) {
        return 14 + (f[14] & 0x0f) * 4;
    }

    private static boolean isArpReply(byte[] f) {
        return f.length >= 42 && u16(f, 12) == FrameParser.ETHERTYPE_ARP && u16(f, 20) == 2;
    }

    private static Predicate<byte[]> tcpTo(int port) {
        return f -> isIpv4(f, FrameSummary.PROTO_TCP) && u16(f, l4(f) + 2) == port;
    }

    /** ARP first, as a guest kernel does: libslirp learns the guest's MAC from it and answers for the gateway. */
    private byte[] arpForGateway(SlirpBackend backend) throws InterruptedException {
        send(backend, TestFrames.arpRequest(ip("10.0.2.15"), ip("10.0.2.2")));
        byte[] reply = await(SlirpBackendTest::isArpReply, WAIT_MILLIS);
        assertNotNull(reply, "libslirp answered the ARP request for the gateway");
        return reply;
    }

    @Test
    void aDhcpDiscoverGetsAnOfferOf10_0_2_15() throws Exception {
        SlirpBackend backend = started(SlirpSettings.defaults(), EgressPolicy.allowAll(), List.of());
        send(backend, TestFrames.dhcpDiscover(0x1234abcd));

        byte[] offer = await(f -> isIpv4(f, FrameSummary.PROTO_UDP) && u16(f, l4(f)) == 67 && u16(f, l4(f) + 2) == 68, WAIT_MILLIS);
        assertNotNull(offer, "a DHCP reply came back");
        int bootp = l4(offer) + 8;
        assertEquals(2, offer[bootp], "BOOTREPLY");
        assertEquals(0x1234abcdL, u32(offer, bootp + 4), "same transaction id");
        assertArrayEquals(ip("10.0.2.15"), Arrays.copyOfRange(offer, bootp + 16, bootp + 20), "yiaddr");
        assertArrayEquals(TestFrames.GUEST_MAC, Arrays.copyOfRange(offer, bootp + 28, bootp + 34), "chaddr is the guest's MAC");
        assertEquals(0x63825363L, u32(offer, bootp + 236), "DHCP magic cookie");
        assertEquals(2, dhcpOption(offer, bootp + 240, 53), "DHCPOFFER");
        assertEquals(1, backend.stats().fromGuest());
        assertTrue(backend.stats().toGuest() >= 1);
    }

    private static int dhcpOption(byte[] f, int at, int wanted) {
        while (at < f.length && (f[at] & 0xff) != 255) {
            int code = f[at] & 0xff;
            if (code == 0) {
                at++;
                continue;
            }
            if (code == wanted) {
                return f[at + 2] & 0xff;
            }
            at += 2 + (f[at + 1] & 0xff);
        }
        return -1;
    }

    @Test
    void aTcpSynToAHostListenerThroughTheNatGetsASynAck() throws Exception {
        Inet4Address hostAddress = nonLoopbackIpv4();
        assumeTrue(hostAddress != null, "this host has no non-loopback IPv4 address to play the outside world");
        try (ServerSocket listener = new ServerSocket(0, 1, hostAddress)) {
            SlirpBackend backend = started(SlirpSettings.defaults(), EgressPolicy.allowAll(), List.of());
            arpForGateway(backend);
            send(backend, TestFrames.tcpSynFrame("10.0.2.15", hostAddress.getHostAddress(), 40000, listener.getLocalPort(), 1000));

            byte[] synAck = await(tcpTo(40000), WAIT_MILLIS);
            assertNotNull(synAck, "libslirp answered the SYN");
            int tcp = l4(synAck);
            assertEquals(TestFrames.TCP_SYN | TestFrames.TCP_ACK, synAck[tcp + 13] & 0x3f, "SYN|ACK");
            assertEquals(1001, u32(synAck, tcp + 8), "acknowledges our SYN");
            assertEquals(listener.getLocalPort(), u16(synAck, tcp));
            listener.setSoTimeout((int) WAIT_MILLIS);
            try (Socket accepted = listener.accept()) {
                assertTrue(accepted.isConnected(), "the host side saw the NATed connection");
            }
        }
    }

    @Test
    void theGatewayReachesHostLoopbackOnlyWhenAllowed() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            SlirpBackend open = started(SlirpSettings.defaults().withHostLoopback(true), EgressPolicy.allowAll(), List.of());
            arpForGateway(open);
            send(open, TestFrames.tcpSynFrame("10.0.2.15", "10.0.2.2", 40001, listener.getLocalPort(), 5000));
            byte[] synAck = await(tcpTo(40001), WAIT_MILLIS);
            assertNotNull(synAck);
            assertEquals(TestFrames.TCP_SYN | TestFrames.TCP_ACK, synAck[l4(synAck) + 13] & 0x3f);
        }
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            SlirpBackend restricted = started(SlirpSettings.defaults(), EgressPolicy.allowAll(), List.of());
            arpForGateway(restricted);
            send(restricted, TestFrames.tcpSynFrame("10.0.2.15", "10.0.2.2", 40002, listener.getLocalPort(), 5000));
            // libslirp refuses with ICMP destination unreachable quoting the SYN, never a SYN|ACK.
            byte[] answer = await(f -> isIpv4(f, 1) || tcpTo(40002).test(f), WAIT_MILLIS);
            assertNotNull(answer, "the default refuses the connection outright");
            assertTrue(isIpv4(answer, 1), "an ICMP error, not a TCP answer");
            assertEquals(3, answer[l4(answer)], "destination unreachable");
            int quoted = l4(answer) + 8;
            assertEquals(40002, u16(answer, quoted + 20), "about our SYN");
            listener.setSoTimeout(300);
            assertThrows(SocketTimeoutException.class, listener::accept, "nothing reached the host's loopback service");
        }
    }

    @Test
    void theEgressPolicyDropsDeniedFramesBeforeSlirpAndCountsThem() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            SlirpBackend backend = started(SlirpSettings.defaults().withHostLoopback(true), EgressPolicy.denyAll(), List.of());
            arpForGateway(backend);
            send(backend, TestFrames.tcpSynFrame("10.0.2.15", "10.0.2.2", 40003, listener.getLocalPort(), 1));
            byte[] malformed = Arrays.copyOf(TestFrames.tcpSynFrame("10.0.2.15", "10.0.2.2", 40003, 80, 1), 20);
            send(backend, malformed);
            send(backend, TestFrames.tcpSynFrame("10.0.2.15", "10.0.2.3", 40004, 53, 1));
            assertNull(await(tcpTo(40003), 500), "no answer to a denied SYN");
            assertEquals(2, backend.stats().denied(), "deny-all refuses DNS to slirp's resolver too");
            assertEquals(1, backend.stats().malformed());
            assertEquals(1, backend.stats().fromGuest(), "only the ARP request went through");
        }
    }

    @Test
    void aForwardToAPortInUseFailsSayingSo() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            HostPortInUseException e = assertThrows(HostPortInUseException.class, () -> new SlirpBackend(
                    SlirpSettings.defaults(), EgressPolicy.allowAll(), List.of(PortForward.tcp(taken.getLocalPort(), 22))));
            assertTrue(e.getMessage().contains(String.valueOf(taken.getLocalPort())), e.getMessage());
            assertTrue(e.getMessage().contains("already in use"), e.getMessage());
        }
    }

    @Test
    void aForwardOnPortZeroReportsThePortChosenAndCarriesConnectionsToTheGuest() throws Exception {
        SlirpBackend backend = started(SlirpSettings.defaults(), EgressPolicy.allowAll(),
                List.of(PortForward.tcp(0, 8080), PortForward.udp(0, 5353)));
        PortForward tcp = backend.forwards().get(0);
        assertNotEquals(0, tcp.hostPort());
        assertNotEquals(0, backend.forwards().get(1).hostPort());
        arpForGateway(backend);

        try (Socket client = new Socket()) {
            client.connect(new InetSocketAddress(tcp.hostAddress(), tcp.hostPort()), (int) WAIT_MILLIS);
            byte[] syn = await(tcpTo(8080), WAIT_MILLIS);
            assertNotNull(syn, "the host connection reached the guest as a SYN");
            assertEquals(TestFrames.TCP_SYN, syn[l4(syn) + 13] & 0x3f);
            assertArrayEquals(ip("10.0.2.15"), Arrays.copyOfRange(syn, 30, 34), "to the guest's address");
        }
    }

    private static Inet4Address nonLoopbackIpv4() throws IOException {
        for (NetworkInterface nic : NetworkInterface.networkInterfaces().toList()) {
            if (!nic.isUp() || nic.isLoopback()) {
                continue;
            }
            for (InetAddress address : nic.inetAddresses().toList()) {
                if (address instanceof Inet4Address v4 && !v4.isLinkLocalAddress()) {
                    return v4;
                }
            }
        }
        return null;
    }
}
