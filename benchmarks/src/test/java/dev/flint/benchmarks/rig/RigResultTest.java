package dev.flint.benchmarks.rig;

import dev.flint.benchmarks.tools.Json;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RigResultTest {
    static RigResult sample() {
        Metric flint = new Metric("flint.cold.process_to_ready", "ms", "fresh JVM to \"ready\"", List.of(900.0, 1000.5, 950.25));
        Metric qemu = new Metric("qemu.process_to_ready", "ms", "QEMU to ready", List.of(1800.0, 2000.0, 1900.0));
        return new RigResult(Map.of("machine", "2-core EPYC", "rounds", "3"), List.of(flint, qemu),
                List.of(Ratio.of("boot.cold_process", "cold boot", flint, qemu)));
    }

    @Test
    void jsonCarriesSamplesStatisticsAndRatios() {
        Map<?, ?> root = (Map<?, ?>) Json.parse(sample().toJson());
        assertEquals(RigResult.SCHEMA, root.get("schema"));
        Map<?, ?> metric = (Map<?, ?>) ((List<?>) root.get("metrics")).get(0);
        assertEquals(List.of(900.0, 1000.5, 950.25), metric.get("samples"));
        assertEquals(950.25, metric.get("median"));
        assertEquals(900.0, metric.get("min"));
        assertEquals(1000.5, metric.get("max"));
        Map<?, ?> ratio = (Map<?, ?>) ((List<?>) root.get("ratios")).get(0);
        assertEquals(0.5, (Double) ratio.get("median"), 1e-4);
        assertEquals("flint.cold.process_to_ready", ratio.get("flint"));
        assertTrue(ratio.get("noise") instanceof Double);
    }

    @Test
    void readsBackWhatItWrote() {
        RigResult original = sample();
        RigResult read = RigResult.parse(original.toJson());
        assertEquals(original.conditions(), read.conditions());
        assertEquals(original.metrics(), read.metrics());
        assertEquals(original.ratios().get(0).name(), read.ratios().get(0).name());
        assertEquals(original.ratios().get(0).perRound().get(1), read.ratios().get(0).perRound().get(1), 1e-4);
    }

    @Test
    void tellsARigResultFromAJmhResult() {
        assertTrue(RigResult.isRigResult(sample().toJson()));
        assertFalse(RigResult.isRigResult("[{\"benchmark\": \"x\"}]"));
    }

    @Test
    void aWrongSchemaIsRejectedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RigResult.parse("{\"schema\": \"other/2\", \"conditions\": {}, \"metrics\": [], \"ratios\": []}"));
        assertTrue(e.getMessage().contains("expected " + RigResult.SCHEMA), e.getMessage());
    }

    @Test
    void stringsAreEscaped() {
        String json = sample().toJson();
        assertTrue(json.contains("fresh JVM to \\\"ready\\\""), json);
    }
}
