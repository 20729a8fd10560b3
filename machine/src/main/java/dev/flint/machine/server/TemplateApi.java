package dev.flint.machine.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flint.machine.Engine;
import dev.flint.machine.InvalidConfigException;
import dev.flint.machine.TemplateNotFoundException;
import dev.flint.machine.wire.ApiErrors;
import dev.flint.machine.wire.MachineJson;

import java.util.List;
import java.util.Set;

/**
 * {@code /v1/templates} and {@code /v1/pools} of {@code flint serve} (openapi.yaml): build, list
 * and delete templates; create, list and delete warm pools. The server's pools end with it.
 */
final class TemplateApi {
    private final Engine engine;

    TemplateApi(Engine engine) {
        this.engine = engine;
    }

    /** {@code path} after {@code v1}: {@code templates[/NAME]} or {@code pools[/NAME]}. */
    void route(String method, List<String> path, JsonNode body, ApiResponder out) {
        boolean templates = path.get(0).equals("templates");
        if (path.size() == 1) {
            if (method.equals("GET")) {
                out.json(200, templates ? MachineJson.templates(engine.templates()) : MachineJson.pools(engine.pools()));
                return;
            }
            require(method, "POST");
            if (templates) {
                known(body, Set.of("name", "spec"), "template build request");
                String name = text(body, "name");
                out.json(201, MachineJson.template(engine.buildTemplate(name, MachineJson.templateSpec(body.path("spec")))));
            } else {
                known(body, Set.of("name", "template", "size"), "pool request");
                JsonNode size = body.path("size");
                if (!size.isIntegralNumber() || !size.canConvertToInt()) {
                    throw new InvalidConfigException("a pool needs a whole number size, got " + size);
                }
                out.json(201, MachineJson.pool(engine.createPool(text(body, "name"), text(body, "template"), size.asInt())));
            }
            return;
        }
        if (path.size() != 2) {
            throw new ApiException(ApiErrors.NO_ROUTE, "no route under /v1/" + String.join("/", path));
        }
        String name = path.get(1);
        if (method.equals("GET") && templates) {
            out.json(200, MachineJson.template(engine.templates().stream().filter(t -> t.name().equals(name)).findFirst()
                    .orElseThrow(() -> TemplateNotFoundException.of(name))));
            return;
        }
        require(method, "DELETE");
        if (templates) {
            engine.deleteTemplate(name);
        } else {
            engine.deletePool(name);
        }
        out.empty(204);
    }

    private static void known(JsonNode body, Set<String> fields, String what) {
        for (var names = body.fieldNames(); names.hasNext(); ) {
            String field = names.next();
            if (!fields.contains(field)) {
                throw new InvalidConfigException("unknown field '" + field + "' in the " + what + "; it takes "
                        + String.join(", ", fields.stream().sorted().toList()));
            }
        }
    }

    private static String text(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || !value.isTextual()) {
            throw new InvalidConfigException("the request needs the text field '" + field + "'");
        }
        return value.asText();
    }

    private static void require(String method, String expected) {
        if (!method.equals(expected)) {
            throw new ApiException(ApiErrors.METHOD_NOT_ALLOWED, method + " is not allowed here; use " + expected);
        }
    }
}
