package dev.flint.image.registry;

/** A manifest or index as the registry sent it, its sha256 verified: the bytes, their media type and digest. */
public record FetchedManifest(byte[] body, String mediaType, String digest) {
}
