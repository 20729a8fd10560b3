package dev.flint.virtio.net;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MAC addresses and port-forward specs as a user writes them. */
class NetConfigTest {
    @Test
    void macAddressesParseFormatAndRejectMulticast() {
        assertEquals("52:54:00:ab:cd:ef", MacAddress.parse("52-54-00-AB-CD-EF").toString());
        assertThrows(IllegalArgumentException.class, () -> MacAddress.parse("52:54:00:ab:cd"));
        assertThrows(IllegalArgumentException.class, () -> MacAddress.parse("52:54:00:ab:cd:zz"));
        IllegalArgumentException multicast = assertThrows(IllegalArgumentException.class, () -> MacAddress.parse("01:00:5e:00:00:01"));
        assertTrue(multicast.getMessage().contains("multicast"));
        MacAddress random = MacAddress.random();
        assertEquals(0x52, random.bytes()[0]);
        assertNotEquals(random, MacAddress.random());
    }

    @Test
    void portForwardsParseWithLoopbackAsTheDefaultHostAddress() {
        PortForward web = PortForward.parse("tcp:8080:80");
        assertEquals(PortForward.tcp(8080, 80), web);
        assertEquals("127.0.0.1", web.hostAddress().getHostAddress());
        PortForward dns = PortForward.parse("udp:0.0.0.0:5353:53");
        assertEquals(PortForward.Protocol.UDP, dns.protocol());
        assertEquals("0.0.0.0", dns.hostAddress().getHostAddress());
        assertEquals(0, PortForward.parse("tcp:0:22").hostPort(), "0 picks a free port");
        assertThrows(IllegalArgumentException.class, () -> PortForward.parse("sctp:1:2"));
        assertThrows(IllegalArgumentException.class, () -> PortForward.parse("tcp:::1:2:3"));
        assertThrows(IllegalArgumentException.class, () -> PortForward.tcp(70000, 80));
        assertThrows(IllegalArgumentException.class, () -> PortForward.tcp(80, 0));
    }
}
