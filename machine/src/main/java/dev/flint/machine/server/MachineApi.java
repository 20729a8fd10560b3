package dev.flint.machine.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flint.image.ImageException;
import dev.flint.machine.Engine;
import dev.flint.machine.Images;
import dev.flint.machine.ExecResult;
import dev.flint.machine.FlintException;
import dev.flint.machine.InvalidConfigException;
import dev.flint.machine.Machine;
import dev.flint.machine.MachineInfo;
import dev.flint.machine.MachineNotRunningException;
import dev.flint.machine.MachineState;
import dev.flint.machine.MachinePage;
import dev.flint.machine.MachineQuery;
import dev.flint.machine.SnapshotInfo;
import dev.flint.machine.SnapshotNotFoundException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.flint.machine.wire.ApiErrors;
import dev.flint.machine.wire.MachineJson;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.function.Consumer;
import java.util.Set;

/**
 * The HTTP/JSON API of {@code flint serve} over an {@link Engine} (routes in openapi.yaml):
 * machines under {@code /v1/machines}, errors as {@code {"error": {"code", "message"}}} with
 * the status {@link ApiErrors} gives. Every route runs the same public {@link Machine} calls a
 * library user would, so the API and the library cannot drift apart.
 */
final class MachineApi {
    private static final Set<String> LIST_PARAMETERS = Set.of("state", "name", "metadata", "limit", "cursor");

    private final Engine engine;
    private final BearerAuth auth;
    /** Opened on the first image request: a server that never sees one never opens the image store. */
    private ImageApi images;

    MachineApi(Engine engine, BearerAuth auth) {
        this.engine = engine;
        this.auth = auth;
    }

    /** Answers one request; never throws. */
    void handle(ApiRequest request, ApiResponder out) {
        try {
            route(request, out);
        } catch (ApiException e) {
            out.json(ApiErrors.status(e.code()), ApiErrors.body(e.code(), e.getMessage()));
        } catch (FlintException | ImageException e) {
            out.json(ApiErrors.status(ApiErrors.code(e)), ApiErrors.body(e));
        } catch (RuntimeException e) {
            e.printStackTrace();
            out.json(500, ApiErrors.body(ApiErrors.INTERNAL, "the server failed: " + e
                    + "; its log has the stack trace"));
        }
    }

    private void route(ApiRequest request, ApiResponder out) {
        List<String> path = segments(request.path());
        if (path.equals(List.of("v1", "health"))) {
            only(request, "GET");
            out.json(200, MachineJson.object().put("status", "ok"));
            return;
        }
        if (path.equals(List.of("v1", "openapi.yaml"))) {
            only(request, "GET");
            out.text(200, openApi());
            return;
        }
        if (!auth.allows(request.authorization())) {
            throw new ApiException(ApiErrors.UNAUTHORIZED, "this server needs 'Authorization: Bearer TOKEN' with its"
                    + " token (flint serve --token)");
        }
        if (path.size() >= 2 && path.get(0).equals("v1") && path.get(1).equals("images")) {
            images().route(request.method(), path.subList(2, path.size()), optionalBody(request), out);
            return;
        }
        if (path.size() >= 2 && path.get(0).equals("v1") && (path.get(1).equals("templates") || path.get(1).equals("pools"))) {
            new TemplateApi(engine).route(request.method(), path.subList(1, path.size()), optionalBody(request), out);
            return;
        }
        if (path.size() >= 2 && path.size() <= 3 && path.get(0).equals("v1") && path.get(1).equals("snapshots")) {
            snapshots(request, path.size() == 3 ? path.get(2) : null, out);
            return;
        }
        if (path.size() < 2 || !path.get(0).equals("v1") || !path.get(1).equals("machines")
                || path.size() > 5 || path.size() == 5 && !path.get(3).equals("files")) {
            throw new ApiException(ApiErrors.NO_ROUTE, "no route " + request.method() + " " + request.path()
                    + "; the API lives under /v1/machines, /v1/snapshots, /v1/templates, /v1/pools and /v1/images (see openapi.yaml)");
        }
        if (path.size() == 2) {
            switch (only(request, "GET", "POST")) {
                case "GET" -> out.json(200, list(request));
                default -> out.json(201, describe(engine.create(MachineJson.config(body(request, "machine config")))));
            }
            return;
        }
        Machine machine = engine.connect(path.get(2));
        if (path.size() == 3) {
            switch (only(request, "GET", "DELETE")) {
                case "GET" -> out.json(200, describe(machine));
                default -> {
                    machine.delete();
                    out.empty(204);
                }
            }
            return;
        }
        switch (path.get(3)) {
            case "files" -> FileApi.route(request, path.size() == 5 ? java.util.Optional.of(path.get(4))
                    : java.util.Optional.empty(), machine, out);
            case "start" -> {
                only(request, "POST");
                JsonNode body = optionalBody(request);
                machine.start(body.has("bootTimeoutMs") ? millis(body, "bootTimeoutMs") : machine.config().bootTimeout());
                out.json(200, describe(machine));
            }
            case "stop" -> {
                only(request, "POST");
                JsonNode body = optionalBody(request);
                if (body.has("timeoutMs")) {
                    machine.stop(millis(body, "timeoutMs"));
                } else {
                    machine.stop();
                }
                out.json(200, describe(machine));
            }
            case "restart" -> {
                only(request, "POST");
                machine.restart();
                out.json(200, describe(machine));
            }
            case "exec" -> {
                only(request, "POST");
                exec(machine, MachineJson.exec(body(request, "exec request")), out);
            }
            case "run" -> {
                only(request, "POST");
                MachineJson.RunCall call = MachineJson.run(body(request, "run request"));
                stream(out, (stdout, stderr) -> machine.run(call.image(), call.argv(), call.options(), stdout, stderr));
            }
            case "pause" -> {
                only(request, "POST");
                machine.pause();
                out.json(200, describe(machine));
            }
            case "resume" -> {
                only(request, "POST");
                JsonNode body = optionalBody(request);
                machine.resume(body.has("timeoutMs") ? millis(body, "timeoutMs") : machine.config().bootTimeout());
                out.json(200, describe(machine));
            }
            case "snapshot" -> {
                only(request, "POST");
                String name = text(body(request, "snapshot request"), "name");
                machine.snapshot(name);
                out.json(201, MachineJson.snapshot(snapshot(name)));
            }
            case "fork" -> {
                only(request, "POST");
                ArrayNode clones = MachineJson.object().arrayNode();
                for (Machine clone : fork(machine, body(request, "fork request"))) {
                    clones.add(describe(clone));
                }
                ObjectNode answer = MachineJson.object();
                answer.set("machines", clones);
                out.json(201, answer);
            }
            case "terminal" -> {
                only(request, "GET");
                TerminalRequest terminal = TerminalRequest.of(request);
                out.terminal(output -> machine.openTerminal(terminal.argv(), terminal.options(), terminal.rows(),
                        terminal.columns(), output));
            }
            case "logs" -> {
                only(request, "GET");
                out.text(200, machine.consoleLog());
            }
            case "metrics" -> {
                only(request, "GET");
                boolean wake = single(request, "wake").map(MachineApi::bool).orElse(true);
                if (!wake && machine.status() == MachineState.PAUSED) {
                    throw MachineNotRunningException.pausedMetrics(machine.name());
                }
                out.json(200, MachineJson.metrics(machine.metrics()));
            }
            case "env" -> {
                if (only(request, "GET", "PUT").equals("PUT")) {
                    machine.setEnv(MachineJson.env(body(request, "env request")));
                }
                out.json(200, MachineJson.env(machine.env()));
            }
            default -> throw new ApiException(ApiErrors.NO_ROUTE, "no route " + request.method() + " " + request.path()
                    + "; a machine has start, stop, restart, pause, resume, snapshot, fork, exec, run, env, files, terminal, logs"
                    + " and metrics");
        }
    }

    /** {@code GET /v1/snapshots}, {@code GET} and {@code DELETE /v1/snapshots/{name}}. */
    private void snapshots(ApiRequest request, String name, ApiResponder out) {
        if (name == null) {
            only(request, "GET");
            out.json(200, MachineJson.snapshots(engine.snapshots()));
            return;
        }
        switch (only(request, "GET", "DELETE")) {
            case "GET" -> out.json(200, MachineJson.snapshot(snapshot(name)));
            default -> {
                engine.deleteSnapshot(name);
                out.empty(204);
            }
        }
    }

    private SnapshotInfo snapshot(String name) {
        return engine.snapshots().stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> SnapshotNotFoundException.of(name));
    }

    /** A fork body: {@code {"count": N}} for NAME-fork-1..N, or {@code {"names": [...]}}. */
    private static List<Machine> fork(Machine machine, JsonNode body) {
        for (var fields = body.fieldNames(); fields.hasNext(); ) {
            String field = fields.next();
            if (!field.equals("count") && !field.equals("names")) {
                throw new InvalidConfigException("unknown field '" + field + "' in the fork request; it takes count or names");
            }
        }
        // An empty names list leaves it to count: a client generated from openapi.yaml sends
        // "names": [] beside the count it was given.
        JsonNode given = body.path("names");
        if (!given.isMissingNode() && !(given.isArray() && given.isEmpty())) {
            List<String> names = new ArrayList<>();
            if (!given.isArray()) {
                throw new InvalidConfigException("fork names must be an array of machine names");
            }
            given.forEach(n -> names.add(n.asText()));
            if (body.has("count") && body.get("count").asInt() != names.size()) {
                throw new InvalidConfigException("fork count " + body.get("count").asInt() + " differs from the "
                        + names.size() + " names given");
            }
            return machine.fork(names);
        }
        JsonNode count = body.path("count");
        if (!count.canConvertToInt() || !count.isIntegralNumber()) {
            throw new InvalidConfigException("fork needs a whole number count (or names), got " + count);
        }
        return machine.fork(count.asInt());
    }

    private static String text(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || !value.isTextual()) {
            throw new InvalidConfigException("the request needs the text field '" + field + "'");
        }
        return value.asText();
    }

    private synchronized ImageApi images() {
        if (images == null) {
            images = new ImageApi(Images.local());
        }
        return images;
    }

    /** This API's OpenAPI 3 description, shipped beside this class. */
    static String openApi() {
        try (var in = MachineApi.class.getResourceAsStream("openapi.yaml")) {
            if (in == null) {
                throw new IllegalStateException("openapi.yaml is missing from the flint-machine jar; rebuild it");
            }
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Streams the command's output as NDJSON frames: stdout/stderr (base64), then exit or error. */
    private static void exec(Machine machine, MachineJson.ExecCall call, ApiResponder out) {
        stream(out, (stdout, stderr) -> machine.exec(call.argv(), call.options(), stdout, stderr));
    }

    /** A command that streams its output to two consumers and returns its exit status. */
    private interface StreamedCommand {
        ExecResult run(Consumer<byte[]> stdout, Consumer<byte[]> stderr);
    }

    private static void stream(ApiResponder out, StreamedCommand command) {
        ApiResponder.FrameStream frames = out.stream();
        try {
            ExecResult result = command.run(chunk -> frames.frame(chunk("stdout", chunk)),
                    chunk -> frames.frame(chunk("stderr", chunk)));
            frames.frame(MachineJson.object().put("type", "exit").put("exitCode", result.exitCode())
                    .put("signal", result.signal()));
            frames.end();
        } catch (FlintException | ImageException e) {
            if (!frames.started()) {
                throw e;   // nothing sent yet: answer with the error's own status
            }
            ObjectNode frame = MachineJson.object().put("type", "error");
            frame.set("error", ApiErrors.body(e).get("error"));
            frames.frame(frame);
            frames.end();
        }
    }

    private static ObjectNode chunk(String stream, byte[] bytes) {
        return MachineJson.object().put("type", stream).put("data", Base64.getEncoder().encodeToString(bytes));
    }

    private JsonNode list(ApiRequest request) {
        for (String parameter : request.query().keySet()) {
            if (!LIST_PARAMETERS.contains(parameter)) {
                throw new InvalidConfigException("unknown query parameter '" + parameter + "'; a list takes "
                        + LIST_PARAMETERS.stream().sorted().toList());
            }
        }
        MachineQuery.Builder query = MachineQuery.builder();
        for (String states : request.query().getOrDefault("state", List.of())) {
            for (String state : states.split(",")) {
                query.state(MachineJson.state(state.strip()));
            }
        }
        single(request, "name").ifPresent(query::name);
        for (String pair : request.query().getOrDefault("metadata", List.of())) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new InvalidConfigException("metadata filter must be KEY=VALUE, got '" + pair + "'");
            }
            query.metadata(pair.substring(0, eq), pair.substring(eq + 1));
        }
        single(request, "limit").ifPresent(limit -> {
            try {
                query.limit(Integer.parseInt(limit));
            } catch (NumberFormatException e) {
                throw new InvalidConfigException("limit must be a whole number, got '" + limit + "'");
            }
        });
        single(request, "cursor").ifPresent(query::cursor);
        MachinePage page = engine.list(query.build());
        List<ObjectNode> machines = new ArrayList<>();
        for (MachineInfo info : page.machines()) {
            machines.add(describeInfo(info));
        }
        return MachineJson.page(machines, page.nextCursor());
    }

    /** A listed machine: its info without the config (connecting to each would take over stored machines). */
    private static ObjectNode describeInfo(MachineInfo info) {
        return MachineJson.info(info, null);
    }

    private static ObjectNode describe(Machine machine) {
        return MachineJson.info(machine.info(), machine.config());
    }

    static java.util.Optional<String> single(ApiRequest request, String name) {
        List<String> values = request.query().getOrDefault(name, List.of());
        if (values.size() > 1) {
            throw new InvalidConfigException("query parameter '" + name + "' given " + values.size() + " times; give it once");
        }
        return values.stream().findFirst();
    }

    static boolean bool(String text) {
        return switch (text) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new InvalidConfigException("a true/false query parameter (wake, recursive) is true or false, got '" + text + "'");
        };
    }

    private static String only(ApiRequest request, String... methods) {
        for (String method : methods) {
            if (method.equals(request.method())) {
                return method;
            }
        }
        throw new ApiException(ApiErrors.METHOD_NOT_ALLOWED, request.method() + " is not allowed on " + request.path()
                + "; use " + String.join(" or ", methods));
    }

    private static JsonNode body(ApiRequest request, String what) {
        if (!request.hasBody()) {
            throw new InvalidConfigException(what + " missing: send it as the JSON body");
        }
        return MachineJson.parse(request.bodyText(), what);
    }

    /**
     * The body of a route whose body may be left out: none, or the JSON {@code null} that a client
     * generated from openapi.yaml sends for an optional body it was given no object for, reads as {}.
     */
    private static JsonNode optionalBody(ApiRequest request) {
        if (!request.hasBody() || request.bodyText().strip().equals("null")) {
            return MachineJson.object();
        }
        return MachineJson.parse(request.bodyText(), "request body");
    }

    private static Duration millis(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (!value.isIntegralNumber() || value.asLong() <= 0) {
            throw new InvalidConfigException(field + " must be a positive whole number of milliseconds, got " + value);
        }
        return Duration.ofMillis(value.asLong());
    }

    private static List<String> segments(String path) {
        List<String> parts = new ArrayList<>();
        for (String part : path.split("/")) {
            if (!part.isEmpty()) {
                parts.add(java.net.URLDecoder.decode(part, java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        return parts;
    }
}
