package dev.flint.agent;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A process to start in the guest: argv, environment, working directory, user and supplementary
 * groups, stdin, timeout, and optionally an image root to run it in.
 */
public record ExecRequest(List<String> argv, Map<String, String> env, String workdir, int uid, int gid,
                          Optional<byte[]> stdin, Optional<Duration> timeout, List<Integer> groups,
                          Optional<ImageRoot> imageRoot, Optional<TerminalSize> terminal) {
    static final int FLAG_STDIN_OPEN = 1;
    static final int FLAG_IMAGE_ROOT = 2;
    static final int FLAG_TERMINAL = 4;

    /**
     * An OCI image's root for the process: {@code lower} is a guest directory holding the image's
     * flattened read-only tree; {@code upper} is empty for a fresh writable layer that goes when
     * the process ends, or a guest directory whose writes every exec with that upper shares.
     */
    public record ImageRoot(String lower, String upper) {
        public ImageRoot {
            checkImagePath("lower", lower);
            if (upper == null) {
                throw new IllegalArgumentException("upper must be \"\" (fresh) or an absolute path, got null");
            }
            if (!upper.isEmpty()) {
                checkImagePath("upper", upper);
            }
        }

        /** True when the process gets a fresh writable layer of its own. */
        public boolean freshUpper() {
            return upper.isEmpty();
        }
    }

    public ExecRequest {
        argv = List.copyOf(argv);
        env = Map.copyOf(env);
        groups = List.copyOf(groups);
        checkGroups(groups);
        Objects.requireNonNull(imageRoot, "imageRoot");
        Objects.requireNonNull(terminal, "terminal");
    }

    /** Not on a terminal. */
    public ExecRequest(List<String> argv, Map<String, String> env, String workdir, int uid, int gid,
                       Optional<byte[]> stdin, Optional<Duration> timeout, List<Integer> groups,
                       Optional<ImageRoot> imageRoot) {
        this(argv, env, workdir, uid, gid, stdin, timeout, groups, imageRoot, Optional.empty());
    }

    /** Without supplementary groups or an image root, as before those existed. */
    public ExecRequest(List<String> argv, Map<String, String> env, String workdir, int uid, int gid,
                       Optional<byte[]> stdin, Optional<Duration> timeout) {
        this(argv, env, workdir, uid, gid, stdin, timeout, List.of(), Optional.empty(), Optional.empty());
    }

    private static void checkGroups(List<Integer> groups) {
        if (groups.size() > ExecLimits.MAX_GROUPS) {
            throw new IllegalArgumentException(groups.size() + " supplementary groups; the limit is " + ExecLimits.MAX_GROUPS);
        }
        for (int group : groups) {
            if (group < 0) {
                throw new IllegalArgumentException("supplementary groups must not be negative: " + groups);
            }
        }
    }

    /**
     * Absolute, canonical (no empty, "." or ".." component, no trailing slash), not "/", and free
     * of the characters overlayfs options cannot carry: the agent refuses the rest too.
     */
    private static void checkImagePath(String what, String path) {
        boolean ok = path != null && path.startsWith("/") && path.length() > 1 && !path.endsWith("/")
                && ExecLimits.utf8Length(path) <= ExecLimits.MAX_IMAGE_PATH && path.chars().noneMatch(ch -> ch == 0 || ch == ',' || ch == ':' || ch == '\\');
        if (ok) {
            for (String part : path.substring(1).split("/", -1)) {
                ok &= !part.isEmpty() && !part.equals(".") && !part.equals("..");
            }
        }
        if (!ok) {
            throw new IllegalArgumentException(what + " must be a canonical absolute path other than / without NUL, ',', ':'"
                    + " or '\\', at most " + ExecLimits.MAX_IMAGE_PATH + " bytes, got " + path);
        }
    }

    public static Builder builder(List<String> argv) {
        return new Builder(argv);
    }

    /**
     * Validating builder, every protocol limit ({@link ExecLimits}) included; defaults: empty
     * environment, working directory /, root, no stdin, no timeout.
     */
    public static final class Builder {
        private final List<String> argv;
        private final Map<String, String> env = new LinkedHashMap<>();
        private String workdir = "/";
        private int uid;
        private int gid;
        private byte[] stdin;
        private Duration timeout;
        private boolean interactiveStdin;
        private List<Integer> groups = List.of();
        private ImageRoot imageRoot;
        private TerminalSize terminal;

        private Builder(List<String> argv) {
            if (argv == null || argv.isEmpty() || argv.get(0) == null || argv.get(0).isEmpty()) {
                throw new IllegalArgumentException("a command needs a non-empty argv, got " + argv);
            }
            for (String arg : argv) {
                if (arg == null || arg.indexOf('\0') >= 0) {
                    throw new IllegalArgumentException("argv entries must be non-null without NUL: " + argv);
                }
            }
            ExecLimits.checkArgv(argv);
            this.argv = List.copyOf(argv);
        }

        public Builder env(Map<String, String> variables) {
            variables.forEach(this::env);
            return this;
        }

        public Builder env(String key, String value) {
            if (key == null || key.isEmpty() || key.indexOf('=') >= 0 || key.indexOf('\0') >= 0
                    || value == null || value.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("bad environment variable: " + key + "=" + value);
            }
            ExecLimits.checkEnvEntry(key, value);
            env.put(key, value);
            return this;
        }

        public Builder workdir(String workdir) {
            if (workdir == null || !workdir.startsWith("/") || workdir.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("workdir must be an absolute path, got " + workdir);
            }
            ExecLimits.checkWorkdir(workdir);
            this.workdir = workdir;
            return this;
        }

        public Builder user(int uid, int gid) {
            if (uid < 0 || gid < 0) {
                throw new IllegalArgumentException("uid and gid must not be negative");
            }
            this.uid = uid;
            this.gid = gid;
            return this;
        }

        /**
         * Supplementary groups (at most 64); none by default, and the process never keeps the
         * agent's own.
         */
        public Builder groups(List<Integer> groups) {
            List<Integer> copy = List.copyOf(groups);
            checkGroups(copy);
            this.groups = copy;
            return this;
        }

        /**
         * Runs the process in an image root: an overlay of {@code lower} under a writable layer,
         * fresh when {@code upper} is "", else the directory {@code upper}, shared by every exec
         * naming it.
         */
        public Builder imageRoot(String lower, String upper) {
            this.imageRoot = new ImageRoot(lower, upper);
            return this;
        }

        /** Bytes for the process's stdin, which is then closed. */
        public Builder stdin(byte[] stdin) {
            this.stdin = stdin.clone();
            return this;
        }

        /**
         * Runs the process on a pseudo-terminal of {@code size}, as a login does: one output stream
         * (stdout), Ctrl-C written to stdin interrupts its foreground job, {@link ExecHandle#resize}
         * changes the size. Keeps stdin open.
         */
        public Builder terminal(TerminalSize size) {
            this.terminal = Objects.requireNonNull(size, "size");
            this.interactiveStdin = true;
            return this;
        }

        /** Keeps stdin open for {@link ExecHandle#writeStdin}. */
        public Builder interactiveStdin() {
            this.interactiveStdin = true;
            return this;
        }

        public Builder timeout(Duration timeout) {
            if (timeout == null || timeout.isNegative() || timeout.isZero() || timeout.toMillis() > 0xffff_ffffL) {
                throw new IllegalArgumentException("timeout must be positive and under 49 days, got " + timeout);
            }
            this.timeout = timeout;
            return this;
        }

        /** The request; {@link IllegalArgumentException} when over a limit, the whole request's size included. */
        public ExecRequest build() {
            ExecLimits.checkEnv(env);
            ExecRequest request = new ExecRequest(argv, env, workdir, uid, gid, Optional.ofNullable(stdin),
                    Optional.ofNullable(timeout), groups, Optional.ofNullable(imageRoot), Optional.ofNullable(terminal));
            request.encode();   // checks the whole request against ExecLimits.MAX_REQUEST
            return interactiveStdin ? request.withInteractiveStdin() : request;
        }
    }

    private static final byte[] INTERACTIVE = new byte[0];

    private ExecRequest withInteractiveStdin() {
        return new ExecRequest(argv, env, workdir, uid, gid, Optional.of(INTERACTIVE), timeout, groups, imageRoot, terminal);
    }

    /** This request on a terminal of {@code size}, stdin kept open ({@link Builder#terminal}). */
    public ExecRequest withTerminal(TerminalSize size) {
        return new ExecRequest(argv, env, workdir, uid, gid, Optional.of(INTERACTIVE), timeout, groups, imageRoot,
                Optional.of(size));
    }

    boolean interactive() {
        return stdin.isPresent() && stdin.get() == INTERACTIVE;
    }

    /** The EXEC payload (PROTOCOL.md). */
    byte[] encode() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        putInt(out, (stdin.isPresent() ? FLAG_STDIN_OPEN : 0) | (imageRoot.isPresent() ? FLAG_IMAGE_ROOT : 0)
                | (terminal.isPresent() ? FLAG_TERMINAL : 0));
        putInt(out, (int) timeout.map(Duration::toMillis).orElse(0L).longValue());
        putInt(out, uid);
        putInt(out, gid);
        putString(out, workdir);
        putInt(out, argv.size());
        argv.forEach(arg -> putString(out, arg));
        putInt(out, env.size());
        env.forEach((key, value) -> putString(out, key + "=" + value));
        putInt(out, groups.size());
        groups.forEach(group -> putInt(out, group));
        imageRoot.ifPresent(root -> {
            putString(out, root.lower());
            putString(out, root.upper());
        });
        terminal.ifPresent(size -> {
            putInt(out, size.rows());
            putInt(out, size.columns());
        });
        byte[] bytes = out.toByteArray();
        if (bytes.length > ExecLimits.MAX_REQUEST) {
            throw new IllegalArgumentException("the command, its environment and workdir take " + bytes.length
                    + " bytes encoded; a whole exec request is limited to " + ExecLimits.MAX_REQUEST);
        }
        return bytes;
    }

    private static void putInt(ByteArrayOutputStream out, int value) {
        out.writeBytes(ByteBuffer.allocate(4).putInt(value).array());
    }

    private static void putString(ByteArrayOutputStream out, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        putInt(out, bytes.length);
        out.writeBytes(bytes);
    }
}
