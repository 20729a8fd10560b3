package dev.flint.image.store;

import java.time.Instant;

/** One row of {@code refs.db}: a reference and the manifest it resolved to. */
public record StoredReference(String reference, String manifestDigest, String configDigest, long size,
                              Instant pulledAt, Instant lastUsed) {
}
