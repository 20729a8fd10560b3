package dev.flint.agent;

import java.time.Instant;
import java.util.Optional;

/**
 * What a guest restored from a snapshot (or forked) gets before any user command runs: the host's
 * wall clock, fresh entropy to mix into its RNG and reseed it, and for a clone a new hostname.
 */
public record Renewal(Instant wallClock, byte[] entropy, Optional<String> hostname) {
}
