package dev.flint.image.registry;

import java.util.List;

/**
 * The media types of manifests and layers that Flint takes (OCI image-spec and Docker schema 2),
 * and what each means for the pull.
 */
public final class MediaTypes {
    public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
    public static final String OCI_LAYER = "application/vnd.oci.image.layer.v1.tar";
    public static final String OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
    public static final String OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd";
    public static final String OCI_LAYER_ND = "application/vnd.oci.image.layer.nondistributable.v1.tar";
    public static final String OCI_LAYER_ND_GZIP = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
    public static final String OCI_LAYER_ND_ZSTD = "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";
    public static final String DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    public static final String DOCKER_SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+json";
    public static final String DOCKER_SCHEMA1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws";
    public static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
    public static final String DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    public static final String DOCKER_FOREIGN_LAYER_GZIP = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

    /** The manifest types a pull accepts, for the {@code Accept} header. */
    public static final List<String> MANIFESTS = List.of(OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST);

    private MediaTypes() {
    }

    /** The {@code Accept} header of a manifest request: every manifest type Flint takes. */
    public static String manifestAccept() {
        return String.join(", ", MANIFESTS);
    }

    public static boolean isIndex(String mediaType) {
        return OCI_INDEX.equals(base(mediaType)) || DOCKER_LIST.equals(base(mediaType));
    }

    public static boolean isManifest(String mediaType) {
        return OCI_MANIFEST.equals(base(mediaType)) || DOCKER_MANIFEST.equals(base(mediaType));
    }

    public static boolean isSchema1(String mediaType) {
        String base = base(mediaType);
        return DOCKER_SCHEMA1.equals(base) || DOCKER_SCHEMA1_SIGNED.equals(base);
    }

    /** The compression a layer's media type announces, or empty when it is not an image layer type. */
    public static java.util.Optional<Compression> layerCompression(String mediaType) {
        return switch (base(mediaType)) {
            case OCI_LAYER, OCI_LAYER_ND -> java.util.Optional.of(Compression.NONE);
            case OCI_LAYER_GZIP, OCI_LAYER_ND_GZIP, DOCKER_LAYER_GZIP, DOCKER_FOREIGN_LAYER_GZIP ->
                    java.util.Optional.of(Compression.GZIP);
            case OCI_LAYER_ZSTD, OCI_LAYER_ND_ZSTD -> java.util.Optional.of(Compression.ZSTD);
            default -> java.util.Optional.empty();
        };
    }

    /** {@code mediaType} without parameters ({@code ; charset=…}) and spaces; empty for null. */
    public static String base(String mediaType) {
        if (mediaType == null) {
            return "";
        }
        int semicolon = mediaType.indexOf(';');
        return (semicolon < 0 ? mediaType : mediaType.substring(0, semicolon)).strip();
    }
}
