package dev.flint.image.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flint.image.ImageException;
import dev.flint.image.ImageReference;
import dev.flint.image.registry.Compression;
import dev.flint.image.registry.Descriptor;
import dev.flint.image.registry.Digests;
import dev.flint.image.registry.ImageManifest;
import dev.flint.image.registry.Manifests;
import dev.flint.image.registry.MediaTypes;
import dev.flint.image.registry.Platform;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads images out of a {@code docker save} tar ({@code manifest.json}: Config, RepoTags, Layers;
 * older ones with {@code <id>/layer.tar}, newer ones with {@code blobs/sha256/…} and an
 * {@code index.json} beside) or an OCI image layout ({@code oci-layout}, {@code index.json},
 * {@code blobs/sha256/…}) and puts their blobs in the store, verified.
 */
public final class ArchiveLoader {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern BLOB_PATH = Pattern.compile("blobs/sha256/([a-f0-9]{64})");
    static final String REF_NAME = "org.opencontainers.image.ref.name";
    static final String CONTAINERD_NAME = "io.containerd.image.name";

    private ArchiveLoader() {
    }

    /** The images in {@code path} (a tar archive or a layout directory), their blobs stored in {@code blobs}. */
    public static List<LoadedImage> load(Path path, BlobStore blobs) {
        if (!Files.exists(path)) {
            throw new ImageException("there is no archive or layout at " + path + "; give a 'docker save' tar"
                    + " or an OCI layout directory");
        }
        try (ArchiveSource source = Files.isDirectory(path) ? new DirectorySource(path) : openTar(path)) {
            if (source.exists("manifest.json")) {
                return dockerSave(source, blobs);
            }
            if (source.exists("index.json")) {
                return ociLayout(source, blobs);
            }
            throw new ImageException(path + " has neither manifest.json (docker save) nor index.json (OCI layout);"
                    + " it is not an image archive");
        } catch (IOException e) {
            throw new ImageException("cannot read the image archive " + path + ": " + e.getMessage()
                    + "; check that it is complete and readable", e);
        }
    }

    private static ArchiveSource openTar(Path path) throws IOException {
        byte[] head;
        try (InputStream in = Files.newInputStream(path)) {
            head = in.readNBytes(4);
        }
        Compression compression = Compression.sniff(head, head.length);
        if (compression != Compression.NONE) {
            throw new ImageException(path + " is " + compression.name().toLowerCase(Locale.ROOT) + "-compressed;"
                    + " decompress it first (e.g. 'gunzip' or 'zstd -d') and load the tar");
        }
        return TarSource.open(path);
    }

    private static List<LoadedImage> dockerSave(ArchiveSource source, BlobStore blobs) throws IOException {
        JsonNode entries = JSON.readTree(source.read("manifest.json"));
        if (entries == null || !entries.isArray()) {
            throw new ImageException("manifest.json of " + source.name() + " is not a list of images; the archive"
                    + " is not a docker save");
        }
        List<LoadedImage> images = new ArrayList<>();
        for (JsonNode entry : entries) {
            String configPath = entry.path("Config").asText("");
            if (configPath.isEmpty() || !source.exists(configPath)) {
                throw new ImageException("an image in " + source.name() + " names config '" + configPath
                        + "', which the archive lacks; the archive is incomplete");
            }
            byte[] config = source.read(configPath);
            String configDigest = Digests.sha256(config);
            expectedFromPath(configPath).ifPresent(expected -> check(expected, configDigest, configPath));
            blobs.putBytes(configDigest, config);
            List<Descriptor> layers = new ArrayList<>();
            for (JsonNode layerPath : entry.path("Layers")) {
                layers.add(importLayer(source, blobs, layerPath.asText()));
            }
            Descriptor configDescriptor = new Descriptor(MediaTypes.OCI_CONFIG, configDigest, config.length, null);
            byte[] manifest = Manifests.write(configDescriptor, layers);
            String manifestDigest = Digests.sha256(manifest);
            blobs.putBytes(manifestDigest, manifest);
            List<ImageReference> references = new ArrayList<>();
            for (JsonNode tag : entry.path("RepoTags")) {
                references.add(ImageReference.parse(tag.asText()));
            }
            if (references.isEmpty()) {
                references.add(untagged(source, manifestDigest));
            }
            images.add(new LoadedImage(references, manifestDigest,
                    new ImageManifest(MediaTypes.OCI_MANIFEST, configDescriptor, layers), config));
        }
        return images;
    }

    private static Descriptor importLayer(ArchiveSource source, BlobStore blobs, String path) throws IOException {
        if (!source.exists(path)) {
            throw new ImageException("layer " + path + " is missing from " + source.name() + "; the archive is"
                    + " incomplete");
        }
        String digest;
        try (InputStream in = source.open(path)) {
            digest = blobs.importBlob(in, expectedFromPath(path).orElse(null), "layer " + path);
        }
        byte[] head;
        try (InputStream in = Files.newInputStream(blobs.blobPath(digest))) {
            head = in.readNBytes(4);
        }
        String mediaType = switch (Compression.sniff(head, head.length)) {
            case NONE -> MediaTypes.OCI_LAYER;
            case GZIP -> MediaTypes.OCI_LAYER_GZIP;
            case ZSTD -> MediaTypes.OCI_LAYER_ZSTD;
        };
        return new Descriptor(mediaType, digest, BlobStore.sizeOf(blobs.blobPath(digest)), null);
    }

    private static List<LoadedImage> ociLayout(ArchiveSource source, BlobStore blobs) throws IOException {
        JsonNode index = JSON.readTree(source.read("index.json"));
        if (index == null || !index.isObject()) {
            throw new ImageException("index.json of " + source.name() + " is not a JSON object; the layout is broken");
        }
        List<LoadedImage> images = new ArrayList<>();
        for (JsonNode entry : index.path("manifests")) {
            String digest = entry.path("digest").asText("");
            String mediaType = entry.path("mediaType").asText("");
            byte[] document = blob(source, blobs, digest);
            if (MediaTypes.isIndex(Manifests.mediaTypeOf(document, mediaType))) {
                Descriptor chosen = Manifests.choosePlatform(Manifests.indexEntries(document), Platform.LINUX_AMD64,
                        source.name() + " (" + digest + ")");
                digest = chosen.digest();
                document = blob(source, blobs, digest);
                mediaType = chosen.mediaType();
            }
            ImageManifest manifest = Manifests.manifest(document, Manifests.mediaTypeOf(document, mediaType));
            byte[] config = blob(source, blobs, manifest.config().digest());
            for (Descriptor layer : manifest.layers()) {
                try (InputStream in = source.open(blobPath(layer.digest()))) {
                    blobs.importBlob(in, layer.digest(), "layer " + layer.digest());
                }
            }
            images.add(new LoadedImage(List.of(referenceOf(entry.path("annotations"), source, digest)), digest,
                    manifest, config));
        }
        return images;
    }

    /** The name an OCI layout entry carries: containerd's full name, else ref.name (a full name, or a tag). */
    static ImageReference referenceOf(JsonNode annotations, ArchiveSource source, String manifestDigest) {
        String full = annotations.path(CONTAINERD_NAME).asText("");
        if (!full.isEmpty()) {
            return ImageReference.parse(full);
        }
        String refName = annotations.path(REF_NAME).asText("");
        if (refName.isEmpty()) {
            return untagged(source, manifestDigest);
        }
        if (refName.contains("/") || refName.contains("@")) {
            return ImageReference.parse(refName);
        }
        return ImageReference.parse("localhost/" + repositoryName(source) + ":" + refName);
    }

    private static ImageReference untagged(ArchiveSource source, String manifestDigest) {
        return ImageReference.parse("localhost/" + repositoryName(source) + "@" + manifestDigest);
    }

    private static String repositoryName(ArchiveSource source) {
        String name = source.name().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-")
                .replaceAll("^-+|-+$", "");
        return name.isEmpty() ? "image" : name;
    }

    private static byte[] blob(ArchiveSource source, BlobStore blobs, String digest) throws IOException {
        String path = blobPath(digest);
        if (!source.exists(path)) {
            throw new ImageException(source.name() + " lacks " + path + "; the layout is incomplete");
        }
        byte[] bytes = source.read(path);
        blobs.putBytes(digest, bytes);
        return bytes;
    }

    private static String blobPath(String digest) {
        return "blobs/sha256/" + Digests.hex(digest);
    }

    private static java.util.Optional<String> expectedFromPath(String path) {
        Matcher m = BLOB_PATH.matcher(TarSource.normalize(path));
        return m.matches() ? java.util.Optional.of("sha256:" + m.group(1)) : java.util.Optional.empty();
    }

    private static void check(String expected, String actual, String path) {
        if (!expected.equals(actual)) {
            throw new dev.flint.image.DigestMismatchException(path + " has sha256 " + actual + "; the archive is"
                    + " corrupt");
        }
    }
}
