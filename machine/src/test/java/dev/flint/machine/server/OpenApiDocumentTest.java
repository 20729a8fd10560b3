package dev.flint.machine.server;

import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server's {@code openapi.yaml} as a client generator sees it: read by swagger-parser (the
 * parser under swagger-cli and openapi-generator), with every reference resolved, not one message,
 * and no schema property without a type or a reference (a YAML flow mapping whose description
 * holds a comma once made such a stray property, which our own route test did not notice).
 */
class OpenApiDocumentTest {
    private static String document() throws IOException {
        try (InputStream in = MachineServer.class.getResourceAsStream("openapi.yaml")) {
            assertNotNull(in, "openapi.yaml is a resource of the server");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static SwaggerParseResult parse(String yaml) {
        ParseOptions options = new ParseOptions();
        options.setResolve(true);
        return new OpenAPIV3Parser().readContents(yaml, null, options);
    }

    @Test
    void isValidOpenApiWithEveryReferenceResolved() throws IOException {
        SwaggerParseResult result = parse(document());
        assertEquals(List.of(), result.getMessages(), "what the parser says of openapi.yaml");
        OpenAPI api = result.getOpenAPI();
        assertTrue(api.getOpenapi().startsWith("3."), api.getOpenapi());
        assertTrue(api.getPaths().containsKey("/v1/machines/{machine}/exec"), "the exec route is described");
        assertEquals(List.of(), untypedProperties(api), "schema properties with neither a type nor a $ref");
    }

    @Test
    void theCheckFindsAStrayPropertyFromACommaInAFlowMapping() {
        String broken = """
                openapi: 3.0.3
                info: {title: t, version: "1"}
                paths: {}
                components:
                  schemas:
                    ExecRequest:
                      type: object
                      properties:
                        stdin: {type: string, format: byte, description: Bytes for stdin, base64}
                """;
        SwaggerParseResult result = parse(broken);
        List<String> findings = new ArrayList<>(result.getMessages());
        findings.addAll(untypedProperties(result.getOpenAPI()));
        assertTrue(!findings.isEmpty(), "the document with the stray property is refused");
    }

    /** "Schema.property" of every property, at any depth, that says nothing about its values. */
    private static List<String> untypedProperties(OpenAPI api) {
        List<String> found = new ArrayList<>();
        if (api.getComponents() != null && api.getComponents().getSchemas() != null) {
            api.getComponents().getSchemas().forEach((name, schema) -> collectUntyped(name, schema, found));
        }
        return found;
    }

    @SuppressWarnings("rawtypes")
    private static void collectUntyped(String where, Schema<?> schema, List<String> found) {
        Map<String, Schema> properties = schema.getProperties();
        if (properties == null) {
            return;
        }
        properties.forEach((name, property) -> {
            boolean described = property != null && (property.get$ref() != null || property.getType() != null
                    || property.getTypes() != null || property.getAllOf() != null || property.getOneOf() != null
                    || property.getAnyOf() != null);
            if (!described) {
                found.add(where + "." + name);
            } else {
                collectUntyped(where + "." + name, property, found);
            }
        });
    }
}
