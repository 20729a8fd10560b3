package dev.flint.image.store;

import dev.flint.image.ImageReference;
import dev.flint.image.registry.ImageManifest;

import java.util.List;

/** An image read from an archive or layout whose blobs are now in the store, with the names it carries. */
public record LoadedImage(List<ImageReference> references, String manifestDigest, ImageManifest manifest,
                          byte[] config) {
    public LoadedImage {
        references = List.copyOf(references);
    }
}
