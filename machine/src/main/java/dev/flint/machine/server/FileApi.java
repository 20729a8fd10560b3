package dev.flint.machine.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flint.machine.FileInfo;
import dev.flint.machine.FlintException;
import dev.flint.machine.InvalidConfigException;
import dev.flint.machine.Machine;
import dev.flint.machine.MachineFiles;
import dev.flint.machine.wire.ApiErrors;
import dev.flint.machine.wire.MachineJson;

import java.io.IOException;
import java.io.InputStream;
import java.util.Base64;
import java.util.Optional;

/**
 * The files of a machine over HTTP ({@code /v1/machines/{m}/files...}, openapi.yaml), each route
 * one {@link MachineFiles} call: {@code GET files/stat}, {@code GET files/list}, {@code GET
 * files/content} (NDJSON frames of base64 data, then {@code end}, streamed as the guest sends),
 * {@code PUT files/content} (the body is the file, at most {@link HttpLimits#MAX_BODY}),
 * {@code POST files/mkdirs}, {@code POST files/symlink} and {@code DELETE files}. The guest path
 * is the {@code path} query parameter; modes are octal ({@code mode=755}).
 */
final class FileApi {
    /** Bytes of file per content frame: 48 KiB is 64 KiB of base64. */
    private static final int FRAME_BYTES = 48 * 1024;

    private FileApi() {
    }

    static void route(ApiRequest request, Optional<String> operation, Machine machine, ApiResponder out) {
        MachineFiles files = machine.files();
        String path = MachineApi.single(request, "path").orElseThrow(() -> new InvalidConfigException(
                "a files route needs the guest path as ?path=/absolute/path"));
        String route = request.method() + " " + operation.orElse("");
        switch (route) {
            case "GET stat" -> out.json(200, MachineJson.file(files.stat(path)));
            case "GET list" -> {
                ObjectNode answer = MachineJson.object();
                ArrayNode entries = answer.putArray("entries");
                for (FileInfo entry : files.list(path)) {
                    entries.add(MachineJson.file(entry));
                }
                out.json(200, answer);
            }
            case "GET content" -> read(files, path, out);
            case "PUT content" -> {
                files.write(path, request.body(), mode(request, 0644));
                out.empty(204);
            }
            case "POST mkdirs" -> {
                files.mkdirs(path, mode(request, 0755));
                out.empty(204);
            }
            case "POST symlink" -> {
                files.symlink(path, MachineApi.single(request, "target").orElseThrow(() -> new InvalidConfigException(
                        "a symlink needs ?target=")));
                out.empty(204);
            }
            case "DELETE " -> {
                files.remove(path, MachineApi.single(request, "recursive").map(MachineApi::bool).orElse(false));
                out.empty(204);
            }
            default -> throw new ApiException(ApiErrors.NO_ROUTE, "no route " + request.method() + " " + request.path()
                    + "; files has GET stat, list and content, PUT content, POST mkdirs and symlink, and DELETE");
        }
    }

    /** Streams the file as it arrives; an error before the first frame is answered whole, with its status. */
    private static void read(MachineFiles files, String path, ApiResponder out) {
        InputStream content = files.readStream(path);   // opening fails here, before any frame
        ApiResponder.FrameStream frames = out.stream();
        long total = 0;
        try (content) {
            byte[] buffer = new byte[FRAME_BYTES];
            for (int n; (n = content.readNBytes(buffer, 0, buffer.length)) > 0; total += n) {
                frames.frame(MachineJson.object().put("type", "data")
                        .put("data", Base64.getEncoder().encodeToString(n == buffer.length ? buffer : java.util.Arrays.copyOf(buffer, n))));
            }
            frames.frame(MachineJson.object().put("type", "end").put("bytes", total));
        } catch (IOException | FlintException e) {
            ObjectNode frame = MachineJson.object().put("type", "error");
            frame.set("error", ApiErrors.body(e instanceof FlintException f ? f
                    : new FlintException("reading " + path + " failed after " + total + " bytes: " + e.getMessage(), e))
                    .get("error"));
            frames.frame(frame);
        }
        frames.end();
    }

    private static int mode(ApiRequest request, int otherwise) {
        return MachineApi.single(request, "mode").map(text -> {
            try {
                return Integer.parseInt(text, 8);
            } catch (NumberFormatException e) {
                throw new InvalidConfigException("mode is octal (e.g. 644), got '" + text + "'");
            }
        }).orElse(otherwise);
    }
}
