package dev.flint.vmm.net;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Struct sizes and offsets against the C headers on x86-64: slirp/libslirp.h of libslirp 4.7
 * (SlirpConfig version 4, SlirpCb), poll.h and linux/if.h; values printed by offsetof() from
 * those headers.
 */
class NetStructsLayoutTest {
    private static long offset(StructLayout layout, String field) {
        return layout.byteOffset(groupElement(field));
    }

    @Test
    void slirpConfigVersion4() {
        StructLayout c = SlirpConfigStruct.LAYOUT;
        assertEquals(4, SlirpConfigStruct.VERSION);
        assertEquals(184, c.byteSize());
        assertEquals(0, offset(c, "version"));
        assertEquals(4, offset(c, "restricted"));
        assertEquals(8, offset(c, "in_enabled"));
        assertEquals(12, offset(c, "vnetwork"));
        assertEquals(16, offset(c, "vnetmask"));
        assertEquals(20, offset(c, "vhost"));
        assertEquals(24, offset(c, "in6_enabled"));
        assertEquals(28, offset(c, "vprefix_addr6"));
        assertEquals(44, offset(c, "vprefix_len"));
        assertEquals(48, offset(c, "vhost6"));
        assertEquals(64, offset(c, "vhostname"));
        assertEquals(72, offset(c, "tftp_server_name"));
        assertEquals(80, offset(c, "tftp_path"));
        assertEquals(88, offset(c, "bootfile"));
        assertEquals(96, offset(c, "vdhcp_start"));
        assertEquals(100, offset(c, "vnameserver"));
        assertEquals(104, offset(c, "vnameserver6"));
        assertEquals(120, offset(c, "vdnssearch"));
        assertEquals(128, offset(c, "vdomainname"));
        assertEquals(136, offset(c, "if_mtu"));
        assertEquals(144, offset(c, "if_mru"));
        assertEquals(152, offset(c, "disable_host_loopback"));
        assertEquals(153, offset(c, "enable_emu"));
        assertEquals(160, offset(c, "outbound_addr"));
        assertEquals(168, offset(c, "outbound_addr6"));
        assertEquals(176, offset(c, "disable_dns"));
        assertEquals(177, offset(c, "disable_dhcp"));
        assertEquals(4, SlirpConfigStruct.IN_ADDR.byteSize());
        assertEquals(16, SlirpConfigStruct.IN6_ADDR.byteSize());
    }

    @Test
    void slirpCallbacks() {
        StructLayout cb = SlirpCallbacksStruct.LAYOUT;
        assertEquals(88, cb.byteSize());
        assertEquals(0, offset(cb, "send_packet"));
        assertEquals(8, offset(cb, "guest_error"));
        assertEquals(16, offset(cb, "clock_get_ns"));
        assertEquals(24, offset(cb, "timer_new"));
        assertEquals(32, offset(cb, "timer_free"));
        assertEquals(40, offset(cb, "timer_mod"));
        assertEquals(48, offset(cb, "register_poll_fd"));
        assertEquals(56, offset(cb, "unregister_poll_fd"));
        assertEquals(64, offset(cb, "notify"));
        assertEquals(72, offset(cb, "init_completed"));
        assertEquals(80, offset(cb, "timer_new_opaque"));
    }

    @Test
    void pollFdAndIfReq() {
        assertEquals(8, PollFd.SIZE);
        assertEquals(4, offset(PollFd.LAYOUT, "events"));
        assertEquals(6, offset(PollFd.LAYOUT, "revents"));
        assertEquals(40, IfReq.LAYOUT.byteSize());
        assertEquals(16, offset(IfReq.LAYOUT, "ifr_flags"));
    }

    @Test
    void tunIoctlNumbersAndFlags() {
        assertEquals(0x400454caL, TapDevice.TUNSETIFF);
        assertEquals(0x0002, TapDevice.IFF_TAP);
        assertEquals(0x1000, TapDevice.IFF_NO_PI);
    }

    @Test
    void defaultConfigCarriesQemuAddressesInNetworkOrderAndBlocksHostLoopback() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment c = arena.allocate(SlirpConfigStruct.LAYOUT);
            SlirpConfigStruct.write(c, SlirpSettings.defaults());
            assertEquals(4, c.get(JAVA_INT, 0));
            assertArrayEquals(new byte[] {10, 0, 2, 0}, c.asSlice(12, 4).toArray(JAVA_BYTE));
            assertArrayEquals(new byte[] {(byte) 255, (byte) 255, (byte) 255, 0}, c.asSlice(16, 4).toArray(JAVA_BYTE));
            assertArrayEquals(new byte[] {10, 0, 2, 2}, c.asSlice(20, 4).toArray(JAVA_BYTE));
            assertArrayEquals(new byte[] {10, 0, 2, 15}, c.asSlice(96, 4).toArray(JAVA_BYTE));
            assertArrayEquals(new byte[] {10, 0, 2, 3}, c.asSlice(100, 4).toArray(JAVA_BYTE));
            assertEquals(1, c.get(JAVA_BYTE, 24), "IPv6 on");
            assertEquals((byte) 0xfe, c.get(JAVA_BYTE, 28));
            assertEquals(64, c.get(JAVA_BYTE, 44));
            assertEquals(3, c.get(JAVA_BYTE, 104 + 15), "DNS fec0::3");
            assertEquals(1500, c.get(JAVA_LONG, 136));
            assertEquals(1, c.get(JAVA_BYTE, 152), "disable_host_loopback");
            assertEquals(0, c.get(JAVA_BYTE, 153), "no emulation code");
        }
    }

    @Test
    void ifReqCarriesNameAndFlags() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment r = arena.allocate(IfReq.LAYOUT);
            IfReq.write(r, "flint0", (short) 0x1002);
            assertEquals("flint0", IfReq.name(r));
            assertEquals(0x1002, r.get(java.lang.foreign.ValueLayout.JAVA_SHORT, 16));
        }
    }
}
