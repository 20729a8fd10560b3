package dev.flint.image;

import java.util.List;

/**
 * An image whose every file is in the store.
 *
 * @param reference      what it was pulled or loaded as
 * @param manifestDigest the digest of its (platform) manifest
 * @param configJson     the raw image config blob
 * @param layers         its layers in order, bottom first
 * @param size           bytes it holds in the store: config, layer blobs and uncompressed tars
 */
public record PulledImage(ImageReference reference, String manifestDigest, byte[] configJson, List<LayerFile> layers,
                          long size) {
    public PulledImage {
        layers = List.copyOf(layers);
    }
}
