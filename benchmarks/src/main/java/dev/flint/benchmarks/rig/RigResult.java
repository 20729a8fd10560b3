package dev.flint.benchmarks.rig;

import dev.flint.benchmarks.tools.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One run of {@code rig-bench.sh}: the conditions it ran under, every metric with its samples
 * and order statistics, and the Flint/peer ratios. Written as {@code benchmarks/results/rig-*.json}
 * and read back by the report and the regression guard.
 */
public record RigResult(Map<String, String> conditions, List<Metric> metrics, List<Ratio> ratios) {
    /** Marks the file as this shape, so the guard can tell it from a JMH result. */
    public static final String SCHEMA = "flint-rig-bench/1";

    public RigResult {
        conditions = Map.copyOf(new LinkedHashMap<>(conditions));
        metrics = List.copyOf(metrics);
        ratios = List.copyOf(ratios);
    }

    public Optional<Metric> metric(String name) {
        return metrics.stream().filter(m -> m.name().equals(name)).findFirst();
    }

    public String toJson() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("schema", SCHEMA);
        root.put("conditions", new java.util.TreeMap<>(conditions));
        List<Object> metricList = new ArrayList<>();
        for (Metric m : metrics) {
            Summary s = m.summary();
            Map<String, Object> fields = new LinkedHashMap<>();
            fields.put("name", m.name());
            fields.put("unit", m.unit());
            fields.put("description", m.description());
            fields.put("median", s.median());
            fields.put("p90", s.p90());
            fields.put("min", s.min());
            fields.put("max", s.max());
            fields.put("samples", m.samples());
            metricList.add(fields);
        }
        root.put("metrics", metricList);
        List<Object> ratioList = new ArrayList<>();
        for (Ratio r : ratios) {
            Summary s = r.summary();
            Map<String, Object> fields = new LinkedHashMap<>();
            fields.put("name", r.name());
            fields.put("flint", r.flintMetric());
            fields.put("peer", r.peerMetric());
            fields.put("description", r.description());
            fields.put("median", s.median());
            fields.put("min", s.min());
            fields.put("max", s.max());
            fields.put("noise", r.noise());
            fields.put("per_round", r.perRound());
            ratioList.add(fields);
        }
        root.put("ratios", ratioList);
        return Json.write(root);
    }

    /** Whether {@code json} looks like a rig result (an object naming this schema) rather than a JMH array. */
    public static boolean isRigResult(String json) {
        return json.stripLeading().startsWith("{") && json.contains("\"" + SCHEMA + "\"");
    }

    public static RigResult read(Path file) throws IOException {
        try {
            return parse(Files.readString(file));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + " is not a rig benchmark result: " + e.getMessage(), e);
        }
    }

    /** Reads the samples back; medians and ratios' statistics are recomputed from them, not trusted. */
    public static RigResult parse(String json) {
        Map<?, ?> root = map(Json.parse(json), "the document");
        if (!SCHEMA.equals(root.get("schema"))) {
            throw new IllegalArgumentException("schema is " + root.get("schema") + ", expected " + SCHEMA);
        }
        Map<String, String> conditions = new LinkedHashMap<>();
        map(root.get("conditions"), "conditions").forEach((k, v) -> conditions.put(String.valueOf(k), String.valueOf(v)));
        List<Metric> metrics = new ArrayList<>();
        for (Object item : list(root.get("metrics"), "metrics")) {
            Map<?, ?> m = map(item, "a metric");
            metrics.add(new Metric(text(m, "name"), text(m, "unit"), text(m, "description"), numbers(m.get("samples"))));
        }
        List<Ratio> ratios = new ArrayList<>();
        for (Object item : list(root.get("ratios"), "ratios")) {
            Map<?, ?> r = map(item, "a ratio");
            ratios.add(new Ratio(text(r, "name"), text(r, "flint"), text(r, "peer"), text(r, "description"),
                    numbers(r.get("per_round"))));
        }
        return new RigResult(conditions, metrics, ratios);
    }

    private static Map<?, ?> map(Object value, String what) {
        if (value instanceof Map<?, ?> m) {
            return m;
        }
        throw new IllegalArgumentException(what + " is not a JSON object");
    }

    private static List<?> list(Object value, String what) {
        if (value instanceof List<?> l) {
            return l;
        }
        throw new IllegalArgumentException(what + " is missing or not an array");
    }

    private static String text(Map<?, ?> fields, String name) {
        if (fields.get(name) instanceof String s) {
            return s;
        }
        throw new IllegalArgumentException("field " + name + " is missing or not a string");
    }

    private static List<Double> numbers(Object value) {
        List<Double> out = new ArrayList<>();
        for (Object v : list(value, "samples")) {
            if (v instanceof Double d) {
                out.add(d);
            } else if (v instanceof String s) {
                out.add(Double.parseDouble(s));
            } else {
                throw new IllegalArgumentException("sample " + v + " is not a number");
            }
        }
        return out;
    }
}
