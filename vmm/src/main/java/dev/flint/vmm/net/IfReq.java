package dev.flint.vmm.net;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.nio.charset.StandardCharsets;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * {@code struct ifreq} from linux/if.h as TUNSETIFF uses it: a 16-byte interface name and, in
 * the union after it, {@code short ifr_flags}; 40 bytes in all on x86-64.
 */
public final class IfReq {
    /** IFNAMSIZ: the name and its NUL. */
    public static final int NAME_SIZE = 16;
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(NAME_SIZE, JAVA_BYTE).withName("ifr_name"),
            JAVA_SHORT.withName("ifr_flags"),
            MemoryLayout.paddingLayout(22));

    private IfReq() {
    }

    /** Writes {@code name} (at most 15 bytes) and {@code flags} into a zeroed request. */
    public static void write(MemorySegment request, String name, short flags) {
        byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
        if (bytes.length >= NAME_SIZE) {
            throw new IllegalArgumentException("interface name '" + name + "' is longer than " + (NAME_SIZE - 1) + " bytes");
        }
        request.fill((byte) 0);
        MemorySegment.copy(bytes, 0, request, JAVA_BYTE, 0, bytes.length);
        request.set(JAVA_SHORT, NAME_SIZE, flags);
    }

    /** The interface name the kernel wrote back (it fills in a name like {@code tap0} for a pattern). */
    public static String name(MemorySegment request) {
        return request.asSlice(0, NAME_SIZE).getString(0, StandardCharsets.US_ASCII);
    }
}
