package dev.flint.machine;

import dev.flint.image.PullPolicy;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * How to run one command in an OCI image ({@link Machine#run}): environment (over the image's
 * Env), working directory and user (instead of the image's WorkingDir and User), bytes for
 * stdin, a timeout, and when to pull the image ({@link PullPolicy#MISSING} by default).
 */
public record RunOptions(Map<String, String> env, Optional<String> workdir, Optional<String> user,
                         Optional<byte[]> stdin, Optional<Duration> timeout, PullPolicy pull) {
    public static final RunOptions DEFAULT = builder().build();
    private static final String USER_PATTERN = "[A-Za-z0-9_.][A-Za-z0-9_.-]{0,31}(:[A-Za-z0-9_.][A-Za-z0-9_.-]{0,31})?";

    public RunOptions {
        env = Map.copyOf(env);
        Objects.requireNonNull(pull, "pull");
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The exec part of these options: what the agent needs besides the image. */
    ExecOptions exec() {
        ExecOptions.Builder exec = ExecOptions.builder().env(env);
        workdir.ifPresent(exec::workdir);
        stdin.ifPresent(exec::stdin);
        timeout.ifPresent(exec::timeout);
        return exec.build();
    }

    /** Fluent, validating builder. */
    public static final class Builder {
        private final ExecOptions.Builder exec = ExecOptions.builder();
        private final Map<String, String> env = new LinkedHashMap<>();
        private String workdir;
        private String user;
        private byte[] stdin;
        private Duration timeout;
        private PullPolicy pull = PullPolicy.MISSING;

        public Builder env(String key, String value) {
            exec.env(key, value);
            env.put(key, value);
            return this;
        }

        public Builder env(Map<String, String> variables) {
            variables.forEach(this::env);
            return this;
        }

        public Builder workdir(String workdir) {
            exec.workdir(workdir);
            this.workdir = workdir;
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

        public Builder stdin(byte[] stdin) {
            this.stdin = stdin.clone();
            return this;
        }

        public Builder timeout(Duration timeout) {
            exec.timeout(timeout);
            this.timeout = timeout;
            return this;
        }

        public Builder pull(PullPolicy pull) {
            this.pull = Objects.requireNonNull(pull, "pull");
            return this;
        }

        public RunOptions build() {
            return new RunOptions(env, Optional.ofNullable(workdir), Optional.ofNullable(user), Optional.ofNullable(stdin),
                    Optional.ofNullable(timeout), pull);
        }
    }
}
