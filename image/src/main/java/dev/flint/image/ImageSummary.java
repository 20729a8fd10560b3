package dev.flint.image;

import java.time.Instant;

/** One stored reference, as {@code flint images} lists it. */
public record ImageSummary(String reference, String manifestDigest, long size, Instant pulledAt, Instant lastUsed) {
}
