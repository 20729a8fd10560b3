package dev.flint.benchmarks.tools;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The benchmarks' JSON (JMH's result files, rig results, QMP), through Jackson's tree model as
 * plain values: objects are {@link Map}s in document order, arrays {@link List}s, every number a
 * {@link Double}, so readers need not care whether a file wrote {@code 900} or {@code 900.0}.
 */
public final class Json {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** Two-space indent and {@code "key": value}, as the result files have always been written. */
    private static final ObjectWriter PRETTY = MAPPER.writer(new DefaultPrettyPrinter(
            Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER))
            .withObjectIndenter(new DefaultIndenter("  ", "\n")));

    private Json() {
    }

    /** Parses one JSON document; {@link IllegalArgumentException} says where it is malformed. */
    public static Object parse(String text) {
        try {
            return plain(MAPPER.readTree(text));
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw new IllegalArgumentException("malformed JSON" + (at == null ? "" : " at offset " + at.getCharOffset())
                    + ": " + e.getOriginalMessage(), e);
        }
    }

    /** Writes maps, lists, strings, numbers and booleans as indented JSON ending in a newline. */
    public static String write(Object value) {
        try {
            return PRETTY.writeValueAsString(node(value)) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree failed to write: " + e.getMessage(), e);
        }
    }

    /** The same as one line, for line-based protocols (QMP). */
    public static String writeLine(Object value) {
        try {
            return MAPPER.writeValueAsString(node(value)) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree failed to write: " + e.getMessage(), e);
        }
    }

    private static Object plain(JsonNode node) {
        if (node == null || node.isMissingNode()) {
            throw new IllegalArgumentException("malformed JSON: no document");
        }
        return switch (node.getNodeType()) {
            case OBJECT -> {
                Map<String, Object> map = new LinkedHashMap<>();
                node.properties().forEach(e -> map.put(e.getKey(), plain(e.getValue())));
                yield map;
            }
            case ARRAY -> {
                List<Object> list = new ArrayList<>(node.size());
                node.forEach(item -> list.add(plain(item)));
                yield list;
            }
            case STRING -> node.textValue();
            case NUMBER -> node.doubleValue();
            case BOOLEAN -> node.booleanValue();
            case NULL -> null;
            default -> throw new IllegalArgumentException("unexpected JSON value " + node);
        };
    }

    private static JsonNode node(Object value) {
        return switch (value) {
            case null -> NODES.nullNode();
            case String s -> NODES.textNode(s);
            case Double d -> number(d);
            case Float f -> number(f.doubleValue());
            case Number n -> NODES.numberNode(n.longValue());
            case Boolean b -> NODES.booleanNode(b);
            case Map<?, ?> map -> {
                ObjectNode object = NODES.objectNode();
                map.forEach((k, v) -> object.set(String.valueOf(k), node(v)));
                yield object;
            }
            case List<?> list -> {
                ArrayNode array = NODES.arrayNode(list.size());
                list.forEach(item -> array.add(node(item)));
                yield array;
            }
            default -> throw new IllegalArgumentException("cannot write " + value.getClass().getName() + " as JSON");
        };
    }

    /** Whole numbers without a fraction, others with up to four decimals; NaN and infinities as strings, as JMH writes them. */
    private static JsonNode number(double d) {
        if (!Double.isFinite(d)) {
            return NODES.textNode(String.valueOf(d));
        }
        if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            return NODES.numberNode((long) d);
        }
        BigDecimal rounded = BigDecimal.valueOf(d).setScale(4, RoundingMode.HALF_UP).stripTrailingZeros();
        return NODES.numberNode(rounded.scale() <= 0 ? rounded.setScale(1) : rounded);
    }
}
