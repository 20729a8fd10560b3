package dev.flint.agent;

import java.util.List;
import java.util.Map;

/**
 * The exec protocol's limits (guest-agent/PROTOCOL.md, "Limits"), defined here for the host and
 * as the same plain numbers in flint-agent.c's decoder (ExecLimitsTest keeps the two equal).
 * Each check throws {@link IllegalArgumentException} with a message naming the limit, so a
 * request that would break one fails before it is sent.
 */
public final class ExecLimits {
    /** A whole EXEC request, as every frame's payload: 1 MiB. */
    public static final int MAX_REQUEST = Frame.MAX_PAYLOAD;
    /** argv entries, and separately environment entries. */
    public static final int MAX_STRINGS = 4096;
    /** Bytes (UTF-8) of one argv entry or one {@code K=V}: the kernel's MAX_ARG_STRLEN (128 KiB) less the NUL. */
    public static final int MAX_STRING = 128 * 1024 - 1;
    /** Bytes of the working directory: PATH_MAX less the NUL. */
    public static final int MAX_WORKDIR = 4095;
    /** Supplementary groups of a process. */
    public static final int MAX_GROUPS = 64;
    /** Bytes of an image root's lower or upper path (they go into overlayfs mount options). */
    public static final int MAX_IMAGE_PATH = 1023;
    /** Bytes of entropy a {@link Renewal} carries, at least: a full 256-bit key for the guest's RNG. */
    public static final int MIN_RENEW_ENTROPY = 32;
    /** Bytes of entropy a {@link Renewal} carries, at most. */
    public static final int MAX_RENEW_ENTROPY = 512;
    /** Bytes of a hostname: the kernel's HOST_NAME_MAX. */
    public static final int MAX_HOSTNAME = 64;
    /** What {@link AgentClient#exec} keeps of each of stdout and stderr by default: 64 MiB. */
    public static final int DEFAULT_MAX_OUTPUT = 64 << 20;

    /** One RFC 1123 label, and a hostname of them: {@link #checkHostname}. */
    private static final String LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
    private static final String HOSTNAME = LABEL + "(?:\\." + LABEL + ")*";

    private ExecLimits() {
    }

    /** At most {@link #MAX_STRINGS} entries of at most {@link #MAX_STRING} bytes each. */
    public static void checkArgv(List<String> argv) {
        if (argv.size() > MAX_STRINGS) {
            throw new IllegalArgumentException("argv has " + argv.size() + " entries; the limit is " + MAX_STRINGS);
        }
        for (int i = 0; i < argv.size(); i++) {
            long bytes = utf8Length(argv.get(i));
            if (bytes > MAX_STRING) {
                throw new IllegalArgumentException("argv[" + i + "] is " + bytes + " bytes; the limit is " + MAX_STRING
                        + " (the kernel's MAX_ARG_STRLEN less its NUL)");
            }
        }
    }

    /** One variable: {@code KEY=VALUE} at most {@link #MAX_STRING} bytes. */
    public static void checkEnvEntry(String key, String value) {
        long bytes = utf8Length(key) + 1 + utf8Length(value);
        if (bytes > MAX_STRING) {
            throw new IllegalArgumentException("environment variable " + abbreviated(key) + " is " + bytes
                    + " bytes as KEY=VALUE; the limit is " + MAX_STRING + " (the kernel's MAX_ARG_STRLEN less its NUL)");
        }
    }

    /** At most {@link #MAX_STRINGS} variables, each within {@link #checkEnvEntry}, together within a request. */
    public static void checkEnv(Map<String, String> env) {
        if (env.size() > MAX_STRINGS) {
            throw new IllegalArgumentException(env.size() + " environment variables; the limit is " + MAX_STRINGS);
        }
        long total = 0;
        for (Map.Entry<String, String> variable : env.entrySet()) {
            checkEnvEntry(variable.getKey(), variable.getValue());
            total += 4 + utf8Length(variable.getKey()) + 1 + utf8Length(variable.getValue());
        }
        if (total > MAX_REQUEST) {
            throw new IllegalArgumentException("the environment takes " + total + " bytes encoded; a whole exec request"
                    + " is limited to " + MAX_REQUEST);
        }
    }

    /** At most {@link #MAX_WORKDIR} bytes. */
    public static void checkWorkdir(String workdir) {
        long bytes = utf8Length(workdir);
        if (bytes > MAX_WORKDIR) {
            throw new IllegalArgumentException("workdir is " + bytes + " bytes; the limit is " + MAX_WORKDIR + " (PATH_MAX)");
        }
    }

    /** Between {@link #MIN_RENEW_ENTROPY} and {@link #MAX_RENEW_ENTROPY} bytes. */
    public static void checkRenewEntropy(int bytes) {
        if (bytes < MIN_RENEW_ENTROPY || bytes > MAX_RENEW_ENTROPY) {
            throw new IllegalArgumentException("a renewal carries " + MIN_RENEW_ENTROPY + " to " + MAX_RENEW_ENTROPY
                    + " bytes of entropy, got " + bytes);
        }
    }

    /**
     * A hostname the agent sets (RFC 1123): at most {@link #MAX_HOSTNAME} bytes of dot-separated
     * labels, each 1 to 63 ASCII letters, digits or '-', not starting or ending with '-'.
     */
    public static void checkHostname(String hostname) {
        if (hostname.length() > MAX_HOSTNAME || !hostname.matches(HOSTNAME)) {
            throw new IllegalArgumentException("hostname must be at most " + MAX_HOSTNAME + " bytes of dot-separated"
                    + " labels of 1-63 letters, digits or '-' (not at either end of a label), got '"
                    + abbreviated(hostname) + "'");
        }
    }

    /** The UTF-8 length of {@code text}, without encoding it. */
    static long utf8Length(String text) {
        long bytes = 0;
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (ch < 0x80) {
                bytes++;
            } else if (ch < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(ch) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else {
                bytes += 3;   // a lone surrogate encodes as '?', but never more than 3 bytes
            }
        }
        return bytes;
    }

    private static String abbreviated(String key) {
        return key.length() <= 40 ? key : key.substring(0, 40) + "...";
    }
}
