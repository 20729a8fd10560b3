package dev.flint.machine;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * How to run one command: environment (added to the machine's), working directory, bytes for
 * its stdin, and a timeout after which the process is killed in the guest.
 */
public record ExecOptions(Map<String, String> env, Optional<String> workdir, Optional<byte[]> stdin,
                          Optional<Duration> timeout) {
    public static final ExecOptions DEFAULT = builder().build();

    public ExecOptions {
        env = Map.copyOf(env);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Fluent, validating builder. */
    public static final class Builder {
        private final Map<String, String> env = new LinkedHashMap<>();
        private String workdir;
        private byte[] stdin;
        private Duration timeout;

        public Builder env(String key, String value) {
            MachineConfig.validateEnv(key, value);
            env.put(key, value);
            return this;
        }

        public Builder env(Map<String, String> variables) {
            variables.forEach(this::env);
            return this;
        }

        public Builder workdir(String workdir) {
            if (workdir == null || !workdir.startsWith("/")) {
                throw new InvalidConfigException("workdir must be an absolute guest path, got " + workdir);
            }
            this.workdir = workdir;
            return this;
        }

        public Builder stdin(byte[] stdin) {
            this.stdin = stdin.clone();
            return this;
        }

        public Builder timeout(Duration timeout) {
            if (timeout == null || timeout.isNegative() || timeout.isZero()) {
                throw new InvalidConfigException("exec timeout must be positive, got " + timeout);
            }
            this.timeout = timeout;
            return this;
        }

        public ExecOptions build() {
            return new ExecOptions(env, Optional.ofNullable(workdir), Optional.ofNullable(stdin), Optional.ofNullable(timeout));
        }
    }
}
