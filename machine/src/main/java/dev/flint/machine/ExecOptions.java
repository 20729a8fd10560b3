package dev.flint.machine;

import dev.flint.agent.ExecLimits;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * How to run one command: environment (added to the machine's), working directory, bytes for
 * its stdin, a timeout after which the process is killed in the guest, and how much of each of
 * stdout and stderr an {@link ExecResult} keeps ({@code maxOutputBytes}, default 64 MiB: the rest
 * is dropped and {@link ExecResult#truncated()} says so; output streamed to consumers is not capped).
 * The builder checks the exec protocol's limits (guest-agent/PROTOCOL.md, Limits).
 *
 * <pre>{@code
 * ExecResult r = m.exec(List.of("make", "test"), ExecOptions.builder()
 *         .workdir("/workspace")
 *         .env("CC", "gcc")
 *         .timeout(Duration.ofMinutes(5))     // then ExecTimeoutException, the process killed
 *         .build());
 * }</pre>
 */
public record ExecOptions(Map<String, String> env, Optional<String> workdir, Optional<byte[]> stdin,
                          Optional<Duration> timeout, int maxOutputBytes) {
    /** What an {@link ExecResult} keeps of each stream unless {@link Builder#maxOutputBytes} says otherwise. */
    public static final int DEFAULT_MAX_OUTPUT_BYTES = ExecLimits.DEFAULT_MAX_OUTPUT;
    /** No env of its own, the machine's workdir, no stdin, no timeout, the default output cap. */
    public static final ExecOptions DEFAULT = builder().build();

    /** Copies the collections: the record is immutable. */
    public ExecOptions {
        env = Map.copyOf(env);
    }

    /** A builder with the {@link #DEFAULT} settings. */
    public static Builder builder() {
        return new Builder();
    }

    /** Fluent, validating builder. */
    public static final class Builder {
        private final Map<String, String> env = new LinkedHashMap<>();
        private String workdir;
        private byte[] stdin;
        private Duration timeout;
        private int maxOutputBytes = DEFAULT_MAX_OUTPUT_BYTES;

        private Builder() {
        }

        /** Sets environment variable {@code key} for the command (over the machine's). */
        public Builder env(String key, String value) {
            MachineConfig.validateEnv(key, value);
            env.put(key, value);
            return this;
        }

        /** Sets each of {@code variables} as {@link #env(String, String)} does. */
        public Builder env(Map<String, String> variables) {
            variables.forEach(this::env);
            return this;
        }

        /** The command's working directory, an absolute guest path. */
        public Builder workdir(String workdir) {
            if (workdir == null || !workdir.startsWith("/")) {
                throw new InvalidConfigException("workdir must be an absolute guest path, got " + workdir);
            }
            MachineConfig.withinLimits(() -> ExecLimits.checkWorkdir(workdir));
            this.workdir = workdir;
            return this;
        }

        /** Bytes for the command's stdin (copied); it reads end of file after them. Default: none. */
        public Builder stdin(byte[] stdin) {
            this.stdin = stdin.clone();
            return this;
        }

        /** Kills the command in the guest after {@code timeout} (positive) with an {@link ExecTimeoutException}; default none. */
        public Builder timeout(Duration timeout) {
            if (timeout == null || timeout.isNegative() || timeout.isZero()) {
                throw new InvalidConfigException("exec timeout must be positive, got " + timeout);
            }
            this.timeout = timeout;
            return this;
        }

        /** Bytes of each of stdout and stderr a buffered result keeps (positive; default 64 MiB). */
        public Builder maxOutputBytes(int maxOutputBytes) {
            if (maxOutputBytes <= 0) {
                throw new InvalidConfigException("maxOutputBytes must be positive, got " + maxOutputBytes);
            }
            this.maxOutputBytes = maxOutputBytes;
            return this;
        }

        /** The options, checked against the exec protocol's limits. */
        public ExecOptions build() {
            MachineConfig.withinLimits(() -> ExecLimits.checkEnv(env));
            return new ExecOptions(env, Optional.ofNullable(workdir), Optional.ofNullable(stdin), Optional.ofNullable(timeout),
                    maxOutputBytes);
        }
    }
}
