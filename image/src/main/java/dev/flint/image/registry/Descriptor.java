package dev.flint.image.registry;

/**
 * A pointer to content (image-spec {@code descriptor.md}): its media type, digest and size, and,
 * in an index, the platform it is for (null elsewhere).
 */
public record Descriptor(String mediaType, String digest, long size, Platform platform) {
}
