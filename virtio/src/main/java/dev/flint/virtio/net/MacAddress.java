package dev.flint.virtio.net;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;

/** An Ethernet MAC address, e.g. {@code 52:54:00:12:34:56}. */
public final class MacAddress {
    public static final int LENGTH = 6;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] bytes;

    private MacAddress(byte[] bytes) {
        this.bytes = bytes;
    }

    public static MacAddress of(byte[] bytes) {
        if (bytes.length != LENGTH) {
            throw new IllegalArgumentException("a MAC address has 6 bytes, got " + bytes.length);
        }
        if ((bytes[0] & 1) != 0) {
            throw new IllegalArgumentException("MAC address " + format(bytes)
                    + " is a multicast address (low bit of the first byte set); a NIC needs a unicast one");
        }
        return new MacAddress(bytes.clone());
    }

    /** Parses {@code aa:bb:cc:dd:ee:ff} (or with dashes). */
    public static MacAddress parse(String text) {
        String[] parts = text.trim().split("[:-]");
        if (parts.length != LENGTH) {
            throw new IllegalArgumentException("'" + text + "' is not a MAC address; write six hex pairs like 52:54:00:12:34:56");
        }
        byte[] bytes = new byte[LENGTH];
        for (int i = 0; i < LENGTH; i++) {
            if (parts[i].length() != 2) {
                throw new IllegalArgumentException("'" + text + "' is not a MAC address; write six hex pairs like 52:54:00:12:34:56");
            }
            try {
                bytes[i] = (byte) HexFormat.fromHexDigits(parts[i]);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("'" + text + "' is not a MAC address; write six hex pairs like 52:54:00:12:34:56", e);
            }
        }
        return of(bytes);
    }

    /** A random address under QEMU's locally administered prefix 52:54:00. */
    public static MacAddress random() {
        byte[] bytes = {0x52, 0x54, 0x00, 0, 0, 0};
        byte[] tail = new byte[3];
        RANDOM.nextBytes(tail);
        System.arraycopy(tail, 0, bytes, 3, 3);
        return new MacAddress(bytes);
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    private static String format(byte[] bytes) {
        return HexFormat.ofDelimiter(":").formatHex(bytes);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof MacAddress mac && Arrays.equals(bytes, mac.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return format(bytes);
    }
}
