package dev.flint.machine;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Ports and network policy: every rule, and what the guest's boot line says about its network. */
class NetworkConfigTest {
    private static String rejected(Runnable build) {
        return assertThrows(InvalidConfigException.class, build::run).getMessage();
    }

    @Test
    void portsParseWithProtocolAndAddressAndDefaultToLoopbackTcp() {
        assertEquals(new PortSpec(8080, 80, PortSpec.Protocol.TCP, "127.0.0.1"), PortSpec.parse("8080:80"));
        assertEquals(new PortSpec(0, 53, PortSpec.Protocol.UDP, "0.0.0.0"), PortSpec.parse("udp:0.0.0.0:0:53"));
        for (String bad : new String[] {"80", "a:b", "tcp:1:2:3:4", "70000:80", "8080:0", "::1:80:80", "host:80:80"}) {
            assertThrows(InvalidConfigException.class, () -> PortSpec.parse(bad), bad);
        }
    }

    @Test
    void portClashesAndPortsWithoutNatAreRejected() {
        assertTrue(rejected(() -> MachineConfig.builder().port(PortSpec.tcp(8080, 80)).port(PortSpec.tcp(8080, 81)).build())
                .contains("two ports use host port 8080"));
        MachineConfig.builder().port(PortSpec.tcp(0, 80)).port(PortSpec.tcp(0, 81)).port(PortSpec.udp(8080, 80)).build();
        assertTrue(rejected(() -> MachineConfig.builder().network(NetworkPolicy.none()).port(PortSpec.tcp(1, 2)).build())
                .contains("no network"));
        assertTrue(rejected(() -> MachineConfig.builder().network(NetworkPolicy.allowAll().viaTap("tap0"))
                .port(PortSpec.tcp(1, 2)).build()).contains("TAP"));
    }

    @Test
    void policiesValidateTheirCidrsAndTapNames() {
        assertTrue(rejected(() -> MachineConfig.builder().network(NetworkPolicy.allowOnly("10.0.0.0/33")).build())
                .contains("network allow list"));
        assertTrue(rejected(() -> NetworkPolicy.allowOnly()).contains("denyAll"));
        assertTrue(rejected(() -> NetworkPolicy.denyAll().viaTap("a name with spaces")).contains("tap name"));
        MachineConfig config = MachineConfig.builder().network(NetworkPolicy.allowOnly("10.0.0.0/8", "2001:db8::/32")).build();
        assertEquals(List.of("10.0.0.0/8", "2001:db8::/32"), config.network().allowedCidrs());
    }

    @Test
    void theGuestGetsItsNatAddressOnItsBootLineOnlyWithNat() {
        assertTrue(GuestCommandLine.of(MachineConfig.builder().build(), "")
                .contains(" flint.net=10.0.2.15/24,10.0.2.2,10.0.2.3"));
        assertFalse(GuestCommandLine.of(MachineConfig.builder().network(NetworkPolicy.none()).build(), "")
                .contains("flint.net"));
        assertFalse(GuestCommandLine.of(MachineConfig.builder().network(NetworkPolicy.allowAll().viaTap("tap0")).build(), "")
                .contains("flint.net"));
    }
}
