package dev.flint.machine.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flint.image.ImageSummary;
import dev.flint.image.PruneResult;
import dev.flint.image.PullPolicy;
import dev.flint.machine.InvalidConfigException;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The JSON of the image routes ({@code /v1/images}), written field by field like
 * {@link MachineJson}: stored images, prune results, pull requests and pull progress frames.
 */
public final class ImageJson {
    private ImageJson() {
    }

    public static ObjectNode summary(ImageSummary image) {
        ObjectNode json = MachineJson.object().put("reference", image.reference()).put("digest", image.manifestDigest())
                .put("size", image.size());
        if (image.pulledAt() != null) {
            json.put("pulledAt", image.pulledAt().toString());
        }
        if (image.lastUsed() != null) {
            json.put("lastUsed", image.lastUsed().toString());
        }
        return json;
    }

    public static ImageSummary summary(JsonNode json) {
        return new ImageSummary(json.path("reference").asText(), json.path("digest").asText(), json.path("size").asLong(),
                instant(json, "pulledAt"), instant(json, "lastUsed"));
    }

    public static ObjectNode summaries(List<ImageSummary> images) {
        ObjectNode json = MachineJson.object();
        images.forEach(image -> json.withArray("images").add(summary(image)));
        if (images.isEmpty()) {
            json.putArray("images");
        }
        return json;
    }

    public static List<ImageSummary> summaries(JsonNode json) {
        List<ImageSummary> images = new ArrayList<>();
        json.path("images").forEach(image -> images.add(summary(image)));
        return images;
    }

    public static ObjectNode prune(PruneResult result) {
        return MachineJson.object().put("blobsRemoved", result.blobsRemoved()).put("bytesFreed", result.bytesFreed());
    }

    public static PruneResult prune(JsonNode json) {
        return new PruneResult(json.path("blobsRemoved").asInt(), json.path("bytesFreed").asLong());
    }

    /** A pull request: {@code {"reference": "...", "policy": "missing"}}. */
    public static ObjectNode pullRequest(String reference, PullPolicy policy) {
        return MachineJson.object().put("reference", reference).put("policy", policy.name().toLowerCase(Locale.ROOT));
    }

    public static String reference(JsonNode json) {
        if (!json.isObject() || !json.path("reference").isTextual()) {
            throw new InvalidConfigException("image request needs a \"reference\" string");
        }
        return json.get("reference").asText();
    }

    public static PullPolicy policy(JsonNode json) {
        String policy = json.path("policy").asText("missing");
        try {
            return PullPolicy.valueOf(policy.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigException("policy must be always, missing or never, got '" + policy + "'");
        }
    }

    /** A pull progress frame: {@code {"type": "layer", "event": "started|progress|done", ...}}. */
    public static ObjectNode layerFrame(String event, String digest, long done, long size, boolean cached) {
        return MachineJson.object().put("type", "layer").put("event", event).put("digest", digest).put("done", done)
                .put("size", size).put("cached", cached);
    }

    private static Instant instant(JsonNode json, String field) {
        return json.hasNonNull(field) ? Instant.parse(json.get(field).asText()) : null;
    }
}
