package dev.flint.machine.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flint.image.ImageException;
import dev.flint.image.ImageNotFoundException;
import dev.flint.image.ImageSummary;
import dev.flint.image.PullListener;
import dev.flint.machine.FlintException;
import dev.flint.machine.Images;
import dev.flint.machine.InvalidConfigException;
import dev.flint.machine.wire.ApiErrors;
import dev.flint.machine.wire.ImageJson;
import dev.flint.machine.wire.MachineJson;

import java.nio.file.Path;
import java.util.List;

/**
 * The image routes of {@code flint serve} under {@code /v1/images} (openapi.yaml): list, pull
 * (progress as NDJSON frames), remove, prune, load. They drive the same {@link Images} calls a
 * library user makes in the server's JVM.
 */
final class ImageApi {
    private final Images images;

    ImageApi(Images images) {
        this.images = images;
    }

    /** {@code path} after {@code v1/images}. */
    void route(String method, List<String> path, JsonNode body, ApiResponder out) {
        if (path.isEmpty()) {
            require(method, "GET");
            out.json(200, ImageJson.summaries(images.list()));
            return;
        }
        if (path.size() != 1) {
            throw new ApiException(ApiErrors.NO_ROUTE, "no route under /v1/images for " + String.join("/", path));
        }
        switch (path.get(0)) {
            case "pull" -> {
                require(method, "POST");
                pull(ImageJson.reference(body), body, out);
            }
            case "prune" -> {
                require(method, "POST");
                out.json(200, ImageJson.prune(images.prune()));
            }
            case "load" -> {
                require(method, "POST");
                if (!body.path("path").isTextual()) {
                    throw new InvalidConfigException("load needs a \"path\" on the server's host");
                }
                out.json(200, ImageJson.summaries(images.load(Path.of(body.get("path").asText()), PullListener.NONE)));
            }
            default -> {
                require(method, "DELETE");
                if (!images.remove(path.get(0))) {
                    throw new ImageNotFoundException("no stored image " + path.get(0) + " (GET /v1/images lists them)");
                }
                out.empty(204);
            }
        }
    }

    private void pull(String reference, JsonNode body, ApiResponder out) {
        ApiResponder.FrameStream frames = out.stream();
        try {
            ImageSummary image = images.pull(reference, ImageJson.policy(body), new PullListener() {
                @Override
                public void layerStarted(String digest, long size) {
                    frames.frame(ImageJson.layerFrame("started", digest, 0, size, false));
                }

                @Override
                public void layerProgress(String digest, long done, long size) {
                    frames.frame(ImageJson.layerFrame("progress", digest, done, size, false));
                }

                @Override
                public void layerDone(String digest, boolean cached) {
                    frames.frame(ImageJson.layerFrame("done", digest, 0, 0, cached));
                }
            });
            JsonNode summary = ImageJson.summary(image);
            frames.frame(MachineJson.object().put("type", "pulled").set("image", summary));
            frames.end();
        } catch (FlintException | ImageException e) {
            if (!frames.started()) {
                throw e;
            }
            String code = ApiErrors.code(e);
            frames.frame(MachineJson.object().put("type", "error").set("error", ApiErrors.body(code, e.getMessage()).get("error")));
            frames.end();
        }
    }

    private static void require(String method, String expected) {
        if (!method.equals(expected)) {
            throw new ApiException(ApiErrors.METHOD_NOT_ALLOWED, method + " is not allowed here; use " + expected);
        }
    }
}
