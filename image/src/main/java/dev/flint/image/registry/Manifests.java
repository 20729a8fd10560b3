package dev.flint.image.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flint.image.ImageException;
import dev.flint.image.NoMatchingPlatformException;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads manifests, indexes and the one field of an image config the store needs
 * ({@code rootfs.diff_ids}); the config's other rules belong to {@code dev.flint.image.config}.
 */
public final class Manifests {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Manifests() {
    }

    /**
     * The media type of a manifest document: the {@code mediaType} field when it has one, else the
     * {@code Content-Type} the registry sent, else what its fields show (an index has
     * {@code manifests}, a manifest {@code layers}).
     */
    public static String mediaTypeOf(byte[] document, String contentType) {
        JsonNode root = parse(document, "manifest");
        String declared = root.path("mediaType").asText("");
        if (!declared.isEmpty()) {
            return declared;
        }
        String sent = MediaTypes.base(contentType);
        if (MediaTypes.isIndex(sent) || MediaTypes.isManifest(sent) || MediaTypes.isSchema1(sent)) {
            return sent;
        }
        if (root.has("manifests")) {
            return MediaTypes.OCI_INDEX;
        }
        if (root.has("layers") && root.has("config")) {
            return MediaTypes.OCI_MANIFEST;
        }
        if (root.path("schemaVersion").asInt() == 1) {
            return MediaTypes.DOCKER_SCHEMA1;
        }
        throw new ImageException("the registry sent a document that is neither an image manifest nor an index"
                + " (Content-Type " + contentType + "); the reference may name a non-image artifact");
    }

    /** The entries of an index or manifest list. */
    public static List<Descriptor> indexEntries(byte[] document) {
        JsonNode root = parse(document, "image index");
        List<Descriptor> entries = new ArrayList<>();
        for (JsonNode entry : root.path("manifests")) {
            JsonNode p = entry.path("platform");
            Platform platform = p.isObject() ? new Platform(p.path("os").asText(""), p.path("architecture").asText(""),
                    p.path("variant").asText(null)) : null;
            entries.add(descriptor(entry, platform));
        }
        return entries;
    }

    /**
     * The entry for {@code wanted} (os and architecture; variant ignored), the first if several.
     *
     * @throws NoMatchingPlatformException listing the platforms the index has
     */
    public static Descriptor choosePlatform(List<Descriptor> entries, Platform wanted, String reference) {
        for (Descriptor entry : entries) {
            if (entry.platform() != null && entry.platform().matches(wanted)) {
                return entry;
            }
        }
        List<String> offered = entries.stream().map(Descriptor::platform)
                .filter(p -> p != null && !"unknown".equals(p.os())).map(Platform::toString).distinct().toList();
        throw new NoMatchingPlatformException(reference + " has no " + wanted + " image; it has "
                + (offered.isEmpty() ? "no platform entries" : String.join(", ", offered))
                + ". Flint runs linux/amd64 guests: pick an image built for it");
    }

    /** A single-platform manifest's config and layers. */
    public static ImageManifest manifest(byte[] document, String mediaType) {
        if (MediaTypes.isSchema1(mediaType)) {
            throw new ImageException("the image uses the Docker schema 1 manifest, which registries dropped years"
                    + " ago; re-push it with a current tool");
        }
        JsonNode root = parse(document, "image manifest");
        if (!root.path("config").isObject() || !root.path("layers").isArray()) {
            throw new ImageException("the image manifest lacks 'config' or 'layers'; the reference may name a"
                    + " non-image artifact or the registry sent a broken document");
        }
        List<Descriptor> layers = new ArrayList<>();
        for (JsonNode layer : root.path("layers")) {
            layers.add(descriptor(layer, null));
        }
        return new ImageManifest(mediaType, descriptor(root.path("config"), null), layers);
    }

    /** The config's {@code rootfs.diff_ids}: sha256 of each uncompressed layer tar, bottom first. */
    public static List<String> diffIds(byte[] config) {
        JsonNode ids = parse(config, "image config").path("rootfs").path("diff_ids");
        List<String> diffIds = new ArrayList<>();
        for (JsonNode id : ids) {
            diffIds.add(id.asText());
        }
        return diffIds;
    }

    /** An OCI image manifest document for {@code config} and {@code layers} (for loaded archives that have none). */
    public static byte[] write(Descriptor config, List<Descriptor> layers) {
        ObjectNode root = JSON.createObjectNode();
        root.put("schemaVersion", 2);
        root.put("mediaType", MediaTypes.OCI_MANIFEST);
        root.set("config", node(config));
        ArrayNode array = root.putArray("layers");
        layers.forEach(layer -> array.add(node(layer)));
        try {
            return JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write a manifest", e);
        }
    }

    /** Parses JSON, naming {@code what} in the error. */
    static JsonNode parse(byte[] document, String what) {
        try {
            JsonNode root = JSON.readTree(document);
            if (root == null || !root.isObject()) {
                throw new ImageException("the " + what + " is not a JSON object; the source sent a broken document");
            }
            return root;
        } catch (IOException e) {
            throw new ImageException("the " + what + " is not valid JSON (" + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage())
                    + "); the source sent a broken document", e);
        }
    }

    private static ObjectNode node(Descriptor d) {
        ObjectNode node = JSON.createObjectNode();
        node.put("mediaType", d.mediaType());
        node.put("digest", d.digest());
        node.put("size", d.size());
        return node;
    }

    private static Descriptor descriptor(JsonNode node, Platform platform) {
        String digest = node.path("digest").asText("");
        if (!Digests.isSha256(digest)) {
            throw new ImageException("a descriptor has digest '" + digest + "', not sha256:<64 hex>; Flint supports"
                    + " only sha256 content, so this image cannot be used");
        }
        return new Descriptor(node.path("mediaType").asText(""), digest, node.path("size").asLong(-1), platform);
    }
}
