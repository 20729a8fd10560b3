package dev.flint.image;

import java.nio.file.Path;

/**
 * One layer of a stored image: its blob as the registry sent it, and its uncompressed tar, kept
 * so that file contents can be served by offset.
 *
 * @param diffId          sha256 of the uncompressed tar, verified against the config's {@code rootfs.diff_ids}
 * @param digest          sha256 of the blob as distributed (compressed or not)
 * @param mediaType       the layer's media type in the manifest
 * @param compressedSize  the blob's size in bytes
 * @param uncompressedTar the uncompressed tar in the store ({@code layers/sha256/<hex>.tar})
 */
public record LayerFile(String diffId, String digest, String mediaType, long compressedSize, Path uncompressedTar) {
}
