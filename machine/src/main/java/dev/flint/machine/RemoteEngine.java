package dev.flint.machine;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flint.machine.wire.ApiErrors;
import dev.flint.machine.wire.ExitFriendlyHttpClient;
import dev.flint.machine.wire.MachineJson;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A Flint server's machines, through its HTTP/JSON API (openapi.yaml): the client half of
 * {@code flint serve}. Errors come back as the same exceptions the local engine throws.
 */
final class RemoteEngine implements Engine {
    /** One client for the JVM: it pools connections and is safe to share. */
    private static final HttpClient HTTP = ExitFriendlyHttpClient.of(HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)));

    private final URI server;
    private final Optional<String> token;

    RemoteEngine(URI server, Optional<String> token) {
        String text = server.toString();
        this.server = URI.create(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
        this.token = token;
    }

    URI server() {
        return server;
    }

    @Override
    public Machine create(MachineConfig config) {
        JsonNode info = call("POST", "/v1/machines", MachineJson.config(config));
        return handle(info);
    }

    @Override
    public Machine connect(String idOrName) {
        if (idOrName == null || idOrName.isBlank()) {
            throw new InvalidConfigException("connect needs a machine id (m-...) or name");
        }
        return Machine.attached(backend(call("GET", machinePath(idOrName), null)));
    }

    /** A handle on a machine the server just made for this caller: closing it deletes the machine. */
    Machine handle(JsonNode info) {
        return new Machine(backend(info));
    }

    private RemoteMachine backend(JsonNode info) {
        return new RemoteMachine(this, info.path("id").asText(), MachineJson.reportedConfig(info.path("config")));
    }

    @Override
    public MachinePage list(MachineQuery query) {
        List<String> params = new ArrayList<>();
        query.states().stream().map(MachineJson::state).sorted().forEach(s -> params.add("state=" + s));
        query.name().ifPresent(n -> params.add("name=" + encode(n)));
        query.metadata().forEach((k, v) -> params.add("metadata=" + encode(k + "=" + v)));
        params.add("limit=" + query.limit());
        query.cursor().ifPresent(c -> params.add("cursor=" + encode(c)));
        return MachineJson.page(call("GET", "/v1/machines?" + String.join("&", params), null));
    }

    @Override
    public List<SnapshotInfo> snapshots() {
        return MachineJson.snapshots(call("GET", "/v1/snapshots", null));
    }

    @Override
    public void deleteSnapshot(String name) {
        call("DELETE", "/v1/snapshots/" + encode(SnapshotStore.checkName(name)), null);
    }

    @Override
    public TemplateInfo buildTemplate(String name, TemplateSpec spec) {
        var body = MachineJson.object().put("name", TemplateStore.checkName(name));
        body.set("spec", MachineJson.templateSpec(spec));
        return MachineJson.template(call("POST", "/v1/templates", body));
    }

    @Override
    public List<TemplateInfo> templates() {
        return MachineJson.templates(call("GET", "/v1/templates", null));
    }

    @Override
    public void deleteTemplate(String name) {
        call("DELETE", "/v1/templates/" + encode(TemplateStore.checkName(name)), null);
    }

    @Override
    public WarmPoolInfo createPool(String name, String template, int size) {
        var body = MachineJson.object().put("name", WarmPool.checkName(name)).put("template", template).put("size", size);
        return MachineJson.pool(call("POST", "/v1/pools", body));
    }

    @Override
    public List<WarmPoolInfo> pools() {
        return MachineJson.pools(call("GET", "/v1/pools", null));
    }

    @Override
    public void deletePool(String name) {
        call("DELETE", "/v1/pools/" + encode(WarmPool.checkName(name)), null);
    }

    static String machinePath(String idOrName) {
        return "/v1/machines/" + encode(idOrName);
    }

    static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** Sends a request and returns the JSON answer; an error answer becomes its exception. */
    JsonNode call(String method, String path, JsonNode body) {
        HttpResponse<String> response = send(method, path, body, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() >= 400) {
            throw error(response.statusCode(), response.body());
        }
        return response.body().isEmpty() ? MachineJson.object() : MachineJson.parse(response.body(), "server answer");
    }

    /** Sends a request and returns its body as text. */
    String text(String path) {
        HttpResponse<String> response = send("GET", path, null, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() >= 400) {
            throw error(response.statusCode(), response.body());
        }
        return response.body();
    }

    /** Sends a request whose answer is newline-delimited JSON, read as it comes. */
    Stream<String> lines(String method, String path, JsonNode body) {
        HttpResponse<Stream<String>> response = send(method, path, body, HttpResponse.BodyHandlers.ofLines());
        if (response.statusCode() >= 400) {
            String text;
            try (Stream<String> lines = response.body()) {
                text = String.join("\n", lines.toList());
            }
            throw error(response.statusCode(), text);
        }
        return response.body();
    }

    /**
     * Opens a WebSocket to {@code pathAndQuery} (a terminal), the token sent as for every call; a
     * refusal before the upgrade becomes the server's exception where it sent one.
     */
    java.net.http.WebSocket webSocket(String pathAndQuery, java.net.http.WebSocket.Listener listener) {
        URI uri = URI.create(server.toString().replaceFirst("^http", "ws") + pathAndQuery);
        java.net.http.WebSocket.Builder builder = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
        token.ifPresent(t -> builder.header("Authorization", "Bearer " + t));
        try {
            return builder.buildAsync(uri, listener).join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof java.net.http.WebSocketHandshakeException refused) {
                HttpResponse<?> response = refused.getResponse();
                throw error(response.statusCode(), response.body() instanceof String body ? body : "");
            }
            throw new ServerUnavailableException("cannot open a terminal on the Flint server at " + server + " ("
                    + e.getCause() + "); check that it runs and FLINT_SERVER points at it", e.getCause());
        }
    }

    /** Sends {@code bytes} as an {@code application/octet-stream} body; an error answer becomes its exception. */
    void upload(String method, String path, byte[] bytes) {
        HttpResponse<String> response = send(method, path, HttpRequest.BodyPublishers.ofByteArray(bytes),
                "application/octet-stream", HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() >= 400) {
            throw error(response.statusCode(), response.body());
        }
    }

    private <T> HttpResponse<T> send(String method, String path, JsonNode body, HttpResponse.BodyHandler<T> handler) {
        return body == null ? send(method, path, HttpRequest.BodyPublishers.noBody(), null, handler)
                : send(method, path, HttpRequest.BodyPublishers.ofString(MachineJson.write(body)), "application/json", handler);
    }

    private <T> HttpResponse<T> send(String method, String path, HttpRequest.BodyPublisher body, String contentType,
                                     HttpResponse.BodyHandler<T> handler) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(server + path)).method(method, body)
                .header("Accept", "application/json");
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        token.ifPresent(t -> request.header("Authorization", "Bearer " + t));
        try {
            return HTTP.send(request.build(), handler);
        } catch (IOException e) {
            throw new ServerUnavailableException("cannot reach the Flint server at " + server + " (" + describe(e)
                    + "); start one with 'flint serve', or point FLINT_SERVER at the right address", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FlintException("interrupted while waiting for the Flint server at " + server, e);
        }
    }

    private static String describe(IOException e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    /** The exception for an error answer: the server's code and message, else the status. */
    RuntimeException error(int status, String body) {
        try {
            JsonNode error = MachineJson.parse(body, "error").path("error");
            if (error.hasNonNull("code") && error.hasNonNull("message")) {
                String code = error.get("code").asText();
                String message = error.get("message").asText();
                if (code.equals(ApiErrors.UNAUTHORIZED)) {
                    return new ServerUnavailableException(message + " (server " + server + "; set FLINT_TOKEN or --token"
                            + " to the server's token)", null);
                }
                return ApiErrors.exception(error);
            }
        } catch (InvalidConfigException e) {
            // not our JSON: report the status below
        }
        return new FlintException("the server at " + server + " answered HTTP " + status + " without a Flint error"
                + " (is FLINT_SERVER pointing at a Flint server?): " + body.lines().findFirst().orElse(""));
    }

    @Override
    public void close() {
        // The shared HTTP client outlives one engine; the server's machines go on running.
    }
}
