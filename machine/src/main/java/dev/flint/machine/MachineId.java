package dev.flint.machine;

import java.security.SecureRandom;
import java.util.regex.Pattern;

/**
 * Machine ids: {@code m-} and 16 lowercase base32 letters (80 random bits), made once when a
 * machine is created and never reused, so a client holding one never reaches a newer machine
 * that took over the name.
 */
final class MachineId {
    private static final char[] BASE32 = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();
    private static final Pattern FORMAT = Pattern.compile("m-[a-z2-7]{16}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private MachineId() {
    }

    static String next() {
        byte[] bytes = new byte[10];
        RANDOM.nextBytes(bytes);
        StringBuilder id = new StringBuilder("m-");
        long bits = 0;
        int count = 0;
        for (byte b : bytes) {
            bits = (bits << 8) | (b & 0xff);
            count += 8;
            while (count >= 5) {
                count -= 5;
                id.append(BASE32[(int) ((bits >>> count) & 31)]);
            }
        }
        return id.toString();
    }

    static boolean isId(String text) {
        return text != null && FORMAT.matcher(text).matches();
    }
}
