package dev.flint.agent;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * What a guest restored from a snapshot (or forked) gets before any user command runs: the host's
 * wall clock, fresh entropy to mix into its RNG and reseed it, and for a clone a new hostname.
 * Sent by {@link AgentClient#renew} as one RENEW frame (guest-agent/PROTOCOL.md, "Renewal").
 *
 * @param wallClock the time to set, not before the epoch
 * @param entropy {@link ExecLimits#MIN_RENEW_ENTROPY} to {@link ExecLimits#MAX_RENEW_ENTROPY}
 *                bytes from a CSPRNG (copied; the guest credits them in full)
 * @param hostname the guest's new name ({@link ExecLimits#checkHostname}), or empty to keep it
 */
public record Renewal(Instant wallClock, byte[] entropy, Optional<String> hostname) {
    /** How much entropy {@link #now} draws: 512 bits. */
    static final int DEFAULT_ENTROPY = 64;
    private static final SecureRandom RANDOM = new SecureRandom();

    public Renewal {
        Objects.requireNonNull(wallClock, "wallClock");
        Objects.requireNonNull(entropy, "entropy");
        Objects.requireNonNull(hostname, "hostname");
        if (wallClock.getEpochSecond() < 0) {
            throw new IllegalArgumentException("the wall clock " + wallClock + " is before the epoch");
        }
        ExecLimits.checkRenewEntropy(entropy.length);
        hostname.ifPresent(ExecLimits::checkHostname);
        entropy = entropy.clone();
    }

    /** This host's clock now and {@value #DEFAULT_ENTROPY} bytes of {@link SecureRandom}, with {@code hostname}. */
    public static Renewal now(Optional<String> hostname) {
        byte[] entropy = new byte[DEFAULT_ENTROPY];
        RANDOM.nextBytes(entropy);
        return new Renewal(Instant.now(), entropy, hostname);
    }

    /** A copy of the entropy bytes. */
    @Override
    public byte[] entropy() {
        return entropy.clone();
    }

    /**
     * The RENEW payload: {@code u64} seconds and {@code u32} nanoseconds since the epoch,
     * {@code u32} length + the entropy, string hostname (empty: keep it).
     */
    byte[] encode() {
        byte[] name = hostname.orElse("").getBytes(StandardCharsets.US_ASCII);
        return ByteBuffer.allocate(8 + 4 + 4 + entropy.length + 4 + name.length)
                .putLong(wallClock.getEpochSecond()).putInt(wallClock.getNano())
                .putInt(entropy.length).put(entropy)
                .putInt(name.length).put(name)
                .array();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Renewal that && wallClock.equals(that.wallClock) && Arrays.equals(entropy, that.entropy)
                && hostname.equals(that.hostname);
    }

    @Override
    public int hashCode() {
        return Objects.hash(wallClock, Arrays.hashCode(entropy), hostname);
    }

    /** Without the entropy itself: it is a secret of the guest's RNG. */
    @Override
    public String toString() {
        return "Renewal[wallClock=" + wallClock + ", entropy=" + entropy.length + " bytes, hostname="
                + hostname.orElse("(kept)") + "]";
    }
}
