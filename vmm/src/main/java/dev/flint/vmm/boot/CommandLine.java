package dev.flint.vmm.boot;

import dev.flint.vmm.memory.GuestMemory;

import java.nio.charset.StandardCharsets;

/** The kernel command line, written NUL-terminated at {@link BootLayout#CMDLINE_ADDRESS}. */
public final class CommandLine {
    private CommandLine() {
    }

    /**
     * Validates {@code cmdline} against {@code limit} (bytes, NUL excluded) and writes it.
     *
     * @return the bytes written, NUL included
     */
    public static int write(GuestMemory memory, String cmdline, int limit) {
        byte[] bytes = validate(cmdline, limit);
        byte[] terminated = new byte[bytes.length + 1];
        System.arraycopy(bytes, 0, terminated, 0, bytes.length);
        memory.write(BootLayout.CMDLINE_ADDRESS, terminated);
        return terminated.length;
    }

    /** The command line's bytes, or an {@link IllegalArgumentException} saying what is wrong. */
    public static byte[] validate(String cmdline, int limit) {
        for (int i = 0; i < cmdline.length(); i++) {
            char c = cmdline.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                throw new IllegalArgumentException(String.format(
                        "kernel command line has a non-printable or non-ASCII character (0x%x) at %d", (int) c, i));
            }
        }
        byte[] bytes = cmdline.getBytes(StandardCharsets.US_ASCII);
        if (bytes.length > limit) {
            throw new IllegalArgumentException("kernel command line is " + bytes.length
                    + " bytes; this kernel accepts at most " + limit);
        }
        return bytes;
    }
}
