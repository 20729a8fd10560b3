package dev.flint.machine;

import dev.flint.image.PullPolicy;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * How to run one command in an OCI image ({@link Machine#run}): what an exec takes (environment
 * over the image's Env, a working directory instead of its WorkingDir, stdin, a timeout), the
 * user instead of the image's User, and when to pull the image ({@link PullPolicy#MISSING} by default).
 */
public record RunOptions(ExecOptions exec, Optional<String> user, PullPolicy pull) {
    /** As {@link ExecOptions#DEFAULT}, the image's User, pulled when missing. */
    public static final RunOptions DEFAULT = builder().build();
    private static final String USER_PATTERN = "[A-Za-z0-9_.][A-Za-z0-9_.-]{0,31}(:[A-Za-z0-9_.][A-Za-z0-9_.-]{0,31})?";

    /** Checks that no part is null. */
    public RunOptions {
        Objects.requireNonNull(exec, "exec");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(pull, "pull");
    }

    /** The exec's env, over the image's Env. */
    public Map<String, String> env() {
        return exec.env();
    }

    /** The working directory instead of the image's WorkingDir; empty for the image's. */
    public Optional<String> workdir() {
        return exec.workdir();
    }

    /** The bytes for the command's stdin; empty for none. */
    public Optional<byte[]> stdin() {
        return exec.stdin();
    }

    /** The time after which the command is killed; empty for none. */
    public Optional<Duration> timeout() {
        return exec.timeout();
    }

    /** A builder with the {@link #DEFAULT} settings. */
    public static Builder builder() {
        return new Builder();
    }

    /** Fluent, validating builder; the exec part validates as {@link ExecOptions.Builder} does. */
    public static final class Builder {
        private final ExecOptions.Builder exec = ExecOptions.builder();
        private String user;
        private PullPolicy pull = PullPolicy.MISSING;

        private Builder() {
        }

        /** Sets environment variable {@code key} for the command (over the machine's). */
        public Builder env(String key, String value) {
            exec.env(key, value);
            return this;
        }

        /** Sets each of {@code variables} as {@link #env(String, String)} does. */
        public Builder env(Map<String, String> variables) {
            exec.env(variables);
            return this;
        }

        /** The command's working directory, an absolute guest path. */
        public Builder workdir(String workdir) {
            exec.workdir(workdir);
            return this;
        }

        /** Bytes for the command's stdin (copied); it reads end of file after them. Default: none. */
        public Builder stdin(byte[] stdin) {
            exec.stdin(stdin);
            return this;
        }

        /** Kills the command in the guest after {@code timeout} (positive) with an {@link ExecTimeoutException}; default none. */
        public Builder timeout(Duration timeout) {
            exec.timeout(timeout);
            return this;
        }

        /** As {@link ExecOptions.Builder#maxOutputBytes}. */
        public Builder maxOutputBytes(int maxOutputBytes) {
            exec.maxOutputBytes(maxOutputBytes);
            return this;
        }

        /** Takes every part of {@code options}: env, workdir, stdin, timeout and the output cap. */
        public Builder exec(ExecOptions options) {
            env(options.env());
            options.workdir().ifPresent(this::workdir);
            options.stdin().ifPresent(this::stdin);
            options.timeout().ifPresent(this::timeout);
            maxOutputBytes(options.maxOutputBytes());
            return this;
        }

        /** {@code name}, {@code uid}, {@code uid:gid}, {@code name:group}: resolved in the image's /etc/passwd and /etc/group. */
        public Builder user(String user) {
            if (user == null || !user.matches(USER_PATTERN)) {
                throw new InvalidConfigException("user must be NAME, UID, UID:GID or NAME:GROUP, got '" + user + "'");
            }
            this.user = user;
            return this;
        }

        /** When to pull the image: {@link PullPolicy#MISSING} (default), {@code ALWAYS} or {@code NEVER}. */
        public Builder pull(PullPolicy pull) {
            this.pull = Objects.requireNonNull(pull, "pull");
            return this;
        }

        /** The options, checked. */
        public RunOptions build() {
            return new RunOptions(exec.build(), Optional.ofNullable(user), pull);
        }
    }
}
