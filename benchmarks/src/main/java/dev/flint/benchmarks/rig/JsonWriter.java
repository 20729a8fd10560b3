package dev.flint.benchmarks.rig;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Writes maps, lists, strings and numbers as indented JSON; the benchmarks need no JSON library. */
final class JsonWriter {
    private JsonWriter() {
    }

    static String write(Object value) {
        StringBuilder out = new StringBuilder();
        write(out, value, 0);
        return out.append('\n').toString();
    }

    private static void write(StringBuilder out, Object value, int depth) {
        switch (value) {
            case null -> out.append("null");
            case String s -> string(out, s);
            case Double d -> number(out, d);
            case Number n -> out.append(n);
            case Boolean b -> out.append(b);
            case Map<?, ?> map -> object(out, map, depth);
            case List<?> list -> array(out, list, depth);
            default -> throw new IllegalArgumentException("cannot write " + value.getClass().getName() + " as JSON");
        }
    }

    private static void object(StringBuilder out, Map<?, ?> map, int depth) {
        if (map.isEmpty()) {
            out.append("{}");
            return;
        }
        out.append("{\n");
        int i = 0;
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            indent(out, depth + 1);
            string(out, String.valueOf(entry.getKey()));
            out.append(": ");
            write(out, entry.getValue(), depth + 1);
            out.append(++i < map.size() ? ",\n" : "\n");
        }
        indent(out, depth);
        out.append('}');
    }

    /** Lists of numbers stay on one line: sample lists are long and read better that way. */
    private static void array(StringBuilder out, List<?> list, int depth) {
        boolean flat = list.stream().allMatch(v -> v instanceof Number || v instanceof String);
        out.append('[');
        for (int i = 0; i < list.size(); i++) {
            if (flat) {
                out.append(i == 0 ? "" : ", ");
            } else {
                out.append(i == 0 ? "\n" : ",\n");
                indent(out, depth + 1);
            }
            write(out, list.get(i), depth + 1);
        }
        if (!flat && !list.isEmpty()) {
            out.append('\n');
            indent(out, depth);
        }
        out.append(']');
    }

    /** Finite numbers with up to four decimals; NaN and infinities as JMH writes them, as strings. */
    private static void number(StringBuilder out, double d) {
        if (!Double.isFinite(d)) {
            string(out, String.valueOf(d));
        } else if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            out.append((long) d);
        } else {
            out.append(String.format(Locale.ROOT, "%.4f", d).replaceAll("0+$", ""));
        }
    }

    private static void string(StringBuilder out, String s) {
        out.append('"');
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    private static void indent(StringBuilder out, int depth) {
        out.append("  ".repeat(depth));
    }
}
