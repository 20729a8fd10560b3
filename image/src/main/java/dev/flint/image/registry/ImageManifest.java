package dev.flint.image.registry;

import java.util.List;

/** A single-platform image manifest: its config blob and its layers, bottom first. */
public record ImageManifest(String mediaType, Descriptor config, List<Descriptor> layers) {
    public ImageManifest {
        layers = List.copyOf(layers);
    }
}
