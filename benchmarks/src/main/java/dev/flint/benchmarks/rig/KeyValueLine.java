package dev.flint.benchmarks.rig;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one machine-readable line a child process prints for the benchmark driver:
 * {@code PREFIX key=value key=value ...} with integer values.
 */
final class KeyValueLine {
    private KeyValueLine() {
    }

    static String format(String prefix, Map<String, Long> values) {
        StringBuilder out = new StringBuilder(prefix);
        values.forEach((k, v) -> out.append(' ').append(k).append('=').append(v));
        return out.toString();
    }

    /** Parses a line {@link #format} wrote; says what is wrong with any other. */
    static Map<String, Long> parse(String prefix, String line) {
        String trimmed = line.strip();
        if (!trimmed.startsWith(prefix + " ")) {
            throw new IllegalArgumentException("expected a line starting with '" + prefix + " ', got: " + line);
        }
        Map<String, Long> values = new LinkedHashMap<>();
        for (String field : trimmed.substring(prefix.length()).trim().split("\\s+")) {
            int equals = field.indexOf('=');
            if (equals <= 0) {
                throw new IllegalArgumentException("field '" + field + "' is not key=value in: " + line);
            }
            try {
                values.put(field.substring(0, equals), Long.parseLong(field.substring(equals + 1)));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("field '" + field + "' has no integer value in: " + line);
            }
        }
        return values;
    }
}
