package dev.flint.machine;

import dev.flint.agent.Renewal;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.Optional;

/**
 * What a restored guest is told before any command runs: the host's clock (its own stood still
 * while it was saved), 64 fresh random bytes (a clone must not share its RNG state with its
 * siblings), and for a new machine made from a snapshot or a fork its new hostname.
 */
final class GuestRenewal {
    static final int ENTROPY_BYTES = 64;
    private static final SecureRandom RANDOM = new SecureRandom();

    private GuestRenewal() {
    }

    static Renewal now(Optional<String> hostname) {
        byte[] entropy = new byte[ENTROPY_BYTES];
        RANDOM.nextBytes(entropy);
        return new Renewal(Instant.now(), entropy, hostname);
    }
}
