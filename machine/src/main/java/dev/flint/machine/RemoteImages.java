package dev.flint.machine;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flint.image.ImageSummary;
import dev.flint.image.PruneResult;
import dev.flint.image.PullListener;
import dev.flint.image.PullPolicy;
import dev.flint.machine.wire.ApiErrors;
import dev.flint.machine.wire.ImageJson;
import dev.flint.machine.wire.MachineJson;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;

/** A Flint server's image store, through its {@code /v1/images} routes; pull progress arrives as NDJSON frames. */
final class RemoteImages implements ImageBackend {
    private final RemoteEngine engine;

    RemoteImages(RemoteEngine engine) {
        this.engine = engine;
    }

    @Override
    public ImageSummary pull(String reference, PullPolicy policy, PullListener listener) {
        try (Stream<String> lines = engine.lines("POST", "/v1/images/pull", ImageJson.pullRequest(reference, policy))) {
            Iterator<String> frames = lines.iterator();
            while (frames.hasNext()) {
                String line = frames.next();
                if (line.isBlank()) {
                    continue;
                }
                JsonNode frame = MachineJson.parse(line, "pull frame");
                switch (frame.path("type").asText()) {
                    case "layer" -> report(frame, listener);
                    case "pulled" -> {
                        return ImageJson.summary(frame.path("image"));
                    }
                    case "error" -> throw ApiErrors.exception(frame.path("error").path("code").asText(),
                            frame.path("error").path("message").asText());
                    default -> throw new FlintException("the server sent a pull frame of unknown type: " + line);
                }
            }
        }
        throw new ServerUnavailableException("the server ended the pull of " + reference + " without saying how it"
                + " went (connection lost?); run the pull again", null);
    }

    private static void report(JsonNode frame, PullListener listener) {
        String digest = frame.path("digest").asText();
        long size = frame.path("size").asLong();
        switch (frame.path("event").asText()) {
            case "started" -> listener.layerStarted(digest, size);
            case "progress" -> listener.layerProgress(digest, frame.path("done").asLong(), size);
            default -> listener.layerDone(digest, frame.path("cached").asBoolean());
        }
    }

    @Override
    public List<ImageSummary> list() {
        return ImageJson.summaries(engine.call("GET", "/v1/images", null));
    }

    @Override
    public boolean remove(String reference) {
        try {
            engine.call("DELETE", "/v1/images/" + URLEncoder.encode(reference, StandardCharsets.UTF_8), null);
            return true;
        } catch (dev.flint.image.ImageNotFoundException e) {
            return false;
        }
    }

    @Override
    public PruneResult prune() {
        return ImageJson.prune(engine.call("POST", "/v1/images/prune", null));
    }

    @Override
    public List<ImageSummary> load(Path source, PullListener listener) {
        return ImageJson.summaries(engine.call("POST", "/v1/images/load",
                MachineJson.object().put("path", source.toAbsolutePath().toString())));
    }
}
