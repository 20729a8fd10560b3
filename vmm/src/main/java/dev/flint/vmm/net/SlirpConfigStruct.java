package dev.flint.vmm.net;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.net.InetAddress;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * {@code struct SlirpConfig} of libslirp 4.7 (Debian 12's libslirp0), version 4 of the struct:
 * the last version that library knows ({@code SLIRP_CONFIG_VERSION_MAX}). libslirp reads only the
 * fields of the version we declare, so the layout must be exactly the version-4 one; the layout
 * test pins every offset against the C header.
 */
public final class SlirpConfigStruct {
    /** The struct version this layout describes. */
    public static final int VERSION = 4;

    /** {@code struct in_addr}: one u32 in network byte order. */
    public static final StructLayout IN_ADDR = MemoryLayout.structLayout(JAVA_INT.withName("s_addr"));
    /** {@code struct in6_addr}: 16 bytes, 4-byte aligned (glibc's union with u32[4]). */
    public static final StructLayout IN6_ADDR = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(4, JAVA_INT).withName("s6_addr32"));

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            JAVA_INT.withName("version"),
            JAVA_INT.withName("restricted"),
            JAVA_BYTE.withName("in_enabled"),
            MemoryLayout.paddingLayout(3),
            IN_ADDR.withName("vnetwork"),
            IN_ADDR.withName("vnetmask"),
            IN_ADDR.withName("vhost"),
            JAVA_BYTE.withName("in6_enabled"),
            MemoryLayout.paddingLayout(3),
            IN6_ADDR.withName("vprefix_addr6"),
            JAVA_BYTE.withName("vprefix_len"),
            MemoryLayout.paddingLayout(3),
            IN6_ADDR.withName("vhost6"),
            ADDRESS.withName("vhostname"),
            ADDRESS.withName("tftp_server_name"),
            ADDRESS.withName("tftp_path"),
            ADDRESS.withName("bootfile"),
            IN_ADDR.withName("vdhcp_start"),
            IN_ADDR.withName("vnameserver"),
            IN6_ADDR.withName("vnameserver6"),
            ADDRESS.withName("vdnssearch"),
            ADDRESS.withName("vdomainname"),
            JAVA_LONG.withName("if_mtu"),
            JAVA_LONG.withName("if_mru"),
            JAVA_BYTE.withName("disable_host_loopback"),
            JAVA_BYTE.withName("enable_emu"),
            MemoryLayout.paddingLayout(6),
            ADDRESS.withName("outbound_addr"),
            ADDRESS.withName("outbound_addr6"),
            JAVA_BYTE.withName("disable_dns"),
            JAVA_BYTE.withName("disable_dhcp"),
            MemoryLayout.paddingLayout(6));

    private SlirpConfigStruct() {
    }

    private static long offset(String field) {
        return LAYOUT.byteOffset(groupElement(field));
    }

    /**
     * Fills a zeroed {@code config} (of {@link #LAYOUT}'s size) from {@code settings}; pointers
     * stay NULL (no TFTP, no host name, no search domains), which libslirp accepts.
     */
    public static void write(MemorySegment config, SlirpSettings settings) {
        config.fill((byte) 0);
        config.set(JAVA_INT, offset("version"), VERSION);
        // Not restricted: Flint's own egress policy decides, frame by frame, before slirp sees a frame.
        config.set(JAVA_INT, offset("restricted"), 0);
        config.set(JAVA_BYTE, offset("in_enabled"), (byte) 1);
        address(config, offset("vnetwork"), settings.network());
        address(config, offset("vnetmask"), settings.netmask());
        address(config, offset("vhost"), settings.gateway());
        address(config, offset("vdhcp_start"), settings.guest());
        address(config, offset("vnameserver"), settings.dns());
        config.set(JAVA_BYTE, offset("in6_enabled"), (byte) (settings.ipv6() ? 1 : 0));
        address(config, offset("vprefix_addr6"), settings.prefix6());
        config.set(JAVA_BYTE, offset("vprefix_len"), (byte) settings.prefix6Length());
        address(config, offset("vhost6"), settings.gateway6());
        address(config, offset("vnameserver6"), settings.dns6());
        config.set(JAVA_LONG, offset("if_mtu"), settings.mtu());
        config.set(JAVA_LONG, offset("if_mru"), settings.mtu());
        config.set(JAVA_BYTE, offset("disable_host_loopback"), (byte) (settings.hostLoopback() ? 0 : 1));
        config.set(JAVA_BYTE, offset("enable_emu"), (byte) 0);
    }

    /** Writes an address's bytes as they are: network byte order, which in_addr and in6_addr hold. */
    static void address(MemorySegment target, long offset, InetAddress address) {
        byte[] bytes = address.getAddress();
        MemorySegment.copy(bytes, 0, target, JAVA_BYTE, offset, bytes.length);
    }
}
