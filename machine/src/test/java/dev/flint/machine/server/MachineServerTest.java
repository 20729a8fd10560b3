package dev.flint.machine.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flint.machine.FakeEngines;
import dev.flint.machine.InvalidConfigException;
import dev.flint.machine.wire.MachineJson;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The HTTP API over an engine of fake machines: routes, status codes, JSON errors, paging, auth, exec frames. */
class MachineServerTest {
    private static final String TOKEN = "test-token-123";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path home;
    private MachineServer server;
    private String base;

    @BeforeEach
    void start() {
        server = MachineServer.start(new FakeEngines().persistent(home), new ListenAddress("127.0.0.1", 0),
                Optional.of(TOKEN));
        base = "http://127.0.0.1:" + server.port();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private HttpResponse<String> send(String method, String path, String body, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        return send(method, path, body, TOKEN);
    }

    private static JsonNode json(HttpResponse<String> response) {
        return MachineJson.parse(response.body(), "answer");
    }

    /** Asserts an error answer: its status, its code, and a message containing {@code text}. */
    private static void assertError(HttpResponse<String> response, int status, String code, String text) {
        assertEquals(status, response.statusCode(), response.body());
        assertTrue(response.headers().firstValue("content-type").orElse("").startsWith("application/json"));
        JsonNode error = json(response).get("error");
        assertEquals(code, error.get("code").asText(), response.body());
        assertTrue(error.get("message").asText().contains(text), response.body());
    }

    private String create(String name, String extra) throws Exception {
        HttpResponse<String> created = send("POST", "/v1/machines", "{\"name\":\"" + name + "\"" + extra + "}");
        assertEquals(201, created.statusCode(), created.body());
        return json(created).get("id").asText();
    }

    @Test
    void createGetStopStartRestartDelete() throws Exception {
        String id = create("web", ",\"cpus\":1,\"memoryMb\":128,\"metadata\":{\"team\":\"a\"}");
        JsonNode info = json(send("GET", "/v1/machines/" + id, null));
        assertEquals("web", info.get("name").asText());
        assertEquals("running", info.get("state").asText());
        assertEquals(128, info.get("memoryMb").asInt());
        assertEquals("a", info.get("metadata").get("team").asText());
        assertEquals(128, info.get("config").get("memoryMb").asInt());
        assertEquals(id, json(send("GET", "/v1/machines/web", null)).get("id").asText(), "a name finds it too");

        assertEquals("stopped", json(send("POST", "/v1/machines/" + id + "/stop", "{\"timeoutMs\":1000}")).get("state").asText());
        assertEquals("running", json(send("POST", "/v1/machines/" + id + "/start", null)).get("state").asText());
        assertEquals("stopped", json(send("POST", "/v1/machines/" + id + "/stop", "null")).get("state").asText(),
                "a JSON null is an optional body left out, as a client generated from openapi.yaml sends it");
        assertEquals("running", json(send("POST", "/v1/machines/" + id + "/start", " null\n")).get("state").asText());
        assertEquals("running", json(send("POST", "/v1/machines/" + id + "/restart", null)).get("state").asText());
        assertEquals(204, send("DELETE", "/v1/machines/" + id, null).statusCode());
        assertError(send("GET", "/v1/machines/" + id, null), 404, "not_found", id);
    }

    @Test
    void createWithStartFalseAndStateConflicts() throws Exception {
        String id = create("idle", ",\"start\":false");
        assertEquals("stopped", json(send("GET", "/v1/machines/" + id, null)).get("state").asText());
        assertError(send("POST", "/v1/machines/" + id + "/exec", "{\"argv\":[\"echo\"]}"), 409, "not_running", "start() it first");
        send("POST", "/v1/machines/" + id + "/start", "{\"bootTimeoutMs\":5000}");
        assertError(send("POST", "/v1/machines/" + id + "/start", null), 409, "state_conflict", "it already runs");
        assertError(send("POST", "/v1/machines", "{\"name\":\"idle\"}"), 400, "invalid_request", "already exists");
    }

    @Test
    void badRequestsGetAJsonErrorSayingWhatToSend() throws Exception {
        assertError(send("POST", "/v1/machines", "{\"name\":\"x\",\"cpu\":2}"), 400, "invalid_request", "unknown field 'cpu'");
        assertError(send("POST", "/v1/machines", "{\"name\":\"Bad Name\"}"), 400, "invalid_request", "machine name");
        assertError(send("POST", "/v1/machines", "not json"), 400, "invalid_request", "not valid JSON");
        assertError(send("POST", "/v1/machines", null), 400, "invalid_request", "send it as the JSON body");
        assertError(send("POST", "/v1/machines", "{\"memoryMb\":\"lots\"}"), 400, "invalid_request", "memoryMb must be a whole number");
        assertError(send("GET", "/v1/nothing", null), 404, "no_route", "/v1/machines");
        assertError(send("PUT", "/v1/machines", null), 405, "method_not_allowed", "use GET or POST");
        String id = create("m1", "");
        assertError(send("POST", "/v1/machines/" + id + "/fly", null), 404, "no_route", "start, stop");
        assertError(send("POST", "/v1/machines/" + id + "/stop", "{\"timeoutMs\":-1}"), 400, "invalid_request", "timeoutMs");
        assertError(send("GET", "/v1/machines?limit=0", null), 400, "invalid_request", "limit must be between 1 and 1000");
        assertError(send("GET", "/v1/machines?state=flying", null), 400, "invalid_request", "state must be one of");
        assertError(send("GET", "/v1/machines?colour=red", null), 400, "invalid_request", "unknown query parameter 'colour'");
        assertError(send("GET", "/v1/machines?cursor=zz", null), 400, "invalid_request", "cursor 'zz'");
    }

    @Test
    void tokenIsRequiredExceptForHealth() throws Exception {
        assertEquals(200, send("GET", "/v1/health", null, null).statusCode());
        HttpResponse<String> anonymous = send("GET", "/v1/machines", null, null);
        assertError(anonymous, 401, "unauthorized", "Bearer");
        assertTrue(anonymous.headers().firstValue("www-authenticate").orElse("").startsWith("Bearer"));
        assertError(send("GET", "/v1/machines", null, "wrong-token-000"), 401, "unauthorized", "token");
        assertEquals(200, send("GET", "/v1/machines", null).statusCode());
    }

    @Test
    void aTokenIsRequiredToListenBeyondLoopback() {
        String message = assertThrows(InvalidConfigException.class, () -> MachineServer.start(
                new FakeEngines().inMemory(), new ListenAddress("0.0.0.0", 0), Optional.empty())).getMessage();
        assertTrue(message.contains("needs a token"), message);
        assertTrue(assertThrows(InvalidConfigException.class, () -> MachineServer.start(new FakeEngines().inMemory(),
                new ListenAddress("127.0.0.1", 0), Optional.of("short"))).getMessage().contains("at least 8"));
    }

    @Test
    void listFiltersAndPages() throws Exception {
        for (int i = 0; i < 3; i++) {
            create("p" + i, i == 1 ? ",\"start\":false,\"metadata\":{\"tier\":\"db\"}" : "");
        }
        JsonNode first = json(send("GET", "/v1/machines?limit=2", null));
        assertEquals(List.of("p0", "p1"), names(first));
        String cursor = first.get("nextCursor").asText();
        JsonNode second = json(send("GET", "/v1/machines?limit=2&cursor=" + cursor, null));
        assertEquals(List.of("p2"), names(second));
        assertTrue(second.get("nextCursor").isNull());
        assertEquals(List.of("p1"), names(json(send("GET", "/v1/machines?state=stopped", null))));
        assertEquals(List.of("p0", "p1", "p2"), names(json(send("GET", "/v1/machines?state=running,stopped", null))));
        assertEquals(List.of("p1"), names(json(send("GET", "/v1/machines?metadata=tier%3Ddb", null))));
        assertEquals(List.of("p2"), names(json(send("GET", "/v1/machines?name=p2", null))));
    }

    private static List<String> names(JsonNode page) {
        List<String> names = new ArrayList<>();
        page.get("machines").forEach(m -> names.add(m.get("name").asText()));
        return names;
    }

    @Test
    void execStreamsFramesThenTheExitStatus() throws Exception {
        String id = create("ex", ",\"workdir\":\"/srv\"");
        HttpResponse<String> response = send("POST", "/v1/machines/" + id + "/exec", "{\"argv\":[\"echo\",\"hi\",\"there\"]}");
        assertEquals(200, response.statusCode());
        assertEquals("application/x-ndjson", response.headers().firstValue("content-type").orElseThrow());
        List<JsonNode> frames = response.body().lines().map(l -> MachineJson.parse(l, "frame")).toList();
        StringBuilder stdout = new StringBuilder();
        frames.stream().filter(f -> f.get("type").asText().equals("stdout"))
                .forEach(f -> stdout.append(new String(Base64.getDecoder().decode(f.get("data").asText()), StandardCharsets.UTF_8)));
        assertEquals("hi there\n", stdout.toString());
        JsonNode exit = frames.get(frames.size() - 1);
        assertEquals("exit", exit.get("type").asText());
        assertEquals(0, exit.get("exitCode").asInt());

        String stdin = Base64.getEncoder().encodeToString("from stdin".getBytes(StandardCharsets.UTF_8));
        List<JsonNode> cat = send("POST", "/v1/machines/" + id + "/exec", "{\"argv\":[\"cat\"],\"stdin\":\"" + stdin + "\"}")
                .body().lines().map(l -> MachineJson.parse(l, "frame")).toList();
        assertEquals(stdin, cat.get(0).get("data").asText());

        HttpResponse<String> timeout = send("POST", "/v1/machines/" + id + "/exec", "{\"argv\":[\"hang\"],\"timeoutMs\":10}");
        assertError(timeout, 408, "exec_timeout", "was killed");
        assertError(send("POST", "/v1/machines/" + id + "/exec", "{\"argv\":[]}"), 400, "invalid_request", "exec needs a command");
        assertError(send("POST", "/v1/machines/" + id + "/exec", "{\"argv\":[\"x\"],\"workdir\":\"rel\"}"), 400,
                "invalid_request", "absolute");
    }

    @Test
    void theOpenApiDocumentDescribesEveryRouteAndIsServed() throws Exception {
        HttpResponse<String> document = send("GET", "/v1/openapi.yaml", null, null);
        assertEquals(200, document.statusCode());
        assertTrue(document.body().startsWith("openapi: 3."));
        for (String route : List.of("/v1/health:", "/v1/machines:", "/v1/machines/{machine}:", "/v1/machines/{machine}/start:",
                "/v1/machines/{machine}/stop:", "/v1/machines/{machine}/restart:", "/v1/machines/{machine}/exec:",
                "/v1/machines/{machine}/logs:", "/v1/machines/{machine}/metrics:", "/v1/openapi.yaml:",
                "/v1/machines/{machine}/pause:", "/v1/machines/{machine}/resume:", "/v1/machines/{machine}/snapshot:",
                "/v1/machines/{machine}/fork:", "/v1/snapshots:", "/v1/snapshots/{snapshot}:")) {
            assertTrue(document.body().contains("\n  " + route), "openapi.yaml describes " + route);
        }
        for (String code : List.of("invalid_request", "unauthorized", "not_found", "no_route", "method_not_allowed",
                "exec_timeout", "state_conflict", "not_running", "host_unsupported", "agent_unavailable", "internal",
                "snapshot_not_found", "paused")) {
            assertTrue(document.body().contains(code), "openapi.yaml lists error code " + code);
        }
    }

    @Test
    void logsAndMetrics() throws Exception {
        String id = create("lm", "");
        HttpResponse<String> logs = send("GET", "/v1/machines/" + id + "/logs", null);
        assertEquals(200, logs.statusCode());
        assertTrue(logs.headers().firstValue("content-type").orElseThrow().startsWith("text/plain"));
        assertEquals("fake console of lm\n", logs.body());
        assertEquals(7, json(send("GET", "/v1/machines/" + id + "/metrics", null)).get("vmExits").asInt());
        assertError(send("POST", "/v1/machines/" + id + "/logs", null), 405, "method_not_allowed", "use GET");
    }
}
