package dev.flint.benchmarks.tools;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Reads the primary metrics out of a JMH JSON result file ({@code -rf json}). */
public final class JmhResults {
    private JmhResults() {
    }

    public static List<BenchmarkResult> read(Path file) throws IOException {
        try {
            return parse(Files.readString(file));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + " is not a JMH JSON result: " + e.getMessage(), e);
        }
    }

    /** Parses the text of a JMH JSON result: an array with one object per benchmark run. */
    public static List<BenchmarkResult> parse(String json) {
        if (!(Json.parse(json) instanceof List<?> runs)) {
            throw new IllegalArgumentException("expected an array of benchmark results");
        }
        List<BenchmarkResult> results = new ArrayList<>();
        for (Object run : runs) {
            Map<?, ?> fields = asMap(run, "benchmark result");
            Map<?, ?> metric = asMap(fields.get("primaryMetric"), "primaryMetric");
            results.add(new BenchmarkResult(
                    text(fields, "benchmark") + params(fields.get("params")),
                    text(fields, "mode"),
                    number(metric.get("score")),
                    number(metric.get("scoreError")),
                    text(metric, "scoreUnit"),
                    samples(metric.get("rawData"))));
        }
        return results;
    }

    private static String params(Object params) {
        if (!(params instanceof Map<?, ?> map) || map.isEmpty()) {
            return "";
        }
        return map.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(",", "[", "]"));
    }

    /** Every iteration of every fork, in order. */
    private static List<Double> samples(Object rawData) {
        List<Double> samples = new ArrayList<>();
        if (rawData instanceof List<?> forks) {
            for (Object fork : forks) {
                if (fork instanceof List<?> iterations) {
                    iterations.forEach(value -> samples.add(number(value)));
                }
            }
        }
        return samples;
    }

    private static Map<?, ?> asMap(Object value, String what) {
        if (value instanceof Map<?, ?> map) {
            return map;
        }
        throw new IllegalArgumentException(what + " is not an object");
    }

    private static String text(Map<?, ?> fields, String name) {
        if (fields.get(name) instanceof String s) {
            return s;
        }
        throw new IllegalArgumentException("field " + name + " is missing or not a string");
    }

    /** JMH writes numbers, but NaN and infinities as strings. */
    private static double number(Object value) {
        if (value instanceof Double d) {
            return d;
        }
        if (value instanceof String s) {
            try {
                return Double.parseDouble(s);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a number: \"" + s + "\"");
            }
        }
        throw new IllegalArgumentException("expected a number, got " + value);
    }
}
