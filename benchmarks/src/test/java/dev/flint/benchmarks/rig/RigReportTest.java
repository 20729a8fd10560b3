package dev.flint.benchmarks.rig;

import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RigReportTest {
    private static Metric m(String name, Double... samples) {
        return new Metric(name, RigMetrics.unit(name), RigMetrics.describe(name), List.of(samples));
    }

    static RigResult full() {
        List<Metric> metrics = List.of(
                m("flint.cold.process_to_ready", 5000.0, 5200.0),
                m("flint.cold.jvm_start", 2000.0, 2100.0),
                m("flint.cold.host_setup", 500.0, 520.0),
                m("flint.cold.kernel_to_init", 2000.0, 2080.0),
                m("flint.cold.init_to_ready", 500.0, 500.0),
                m("flint.cold.start_to_ready", 3000.0, 3100.0),
                m("flint.warm.create_to_ready", 900.0, 1000.0),
                m("qemu.process_to_ready", 2000.0, 2000.0),
                m("flint.exec_true", 300.0, 400.0, 500.0, 350.0),
                m("qemu.exec_true", 600.0, 700.0, 650.0, 800.0));
        return new RigResult(Map.of("rounds", "2"), metrics,
                List.of(Ratio.of("boot.warm_machine_create", "warm", metrics.get(6), metrics.get(7))));
    }

    @Test
    void metricTableHasEveryMetricWithItsUnit() {
        String table = RigReport.metricsTable(full());
        assertTrue(table.lines().anyMatch(l -> l.startsWith("flint.exec_true ") && l.endsWith(" us")), table);
        assertTrue(table.contains("5,100"), "median of 5000 and 5200:\n" + table);
        assertEquals(full().metrics().size() + 1, table.lines().count());
    }

    @Test
    void ratioTableShowsMedianAndMeasuredNoise() {
        String table = RigReport.ratioTable(full());
        // per round 0.45, 0.5: median 0.475, noise 0.025
        assertTrue(table.contains("0.475") && table.contains("0.025"), table);
    }

    @Test
    void targetsAreReportedNotAsserted() {
        List<String> lines = RigReport.targets(full());
        assertTrue(lines.contains("rig: boot at most 0.5x QEMU microvm's: boot.warm_machine_create = 0.475 -> met"), lines.toString());
        assertTrue(lines.stream().anyMatch(l -> l.contains("exec round trip < 200 us; rig median 375.000 us")), lines.toString());
    }

    @Test
    void chartStacksFlintsPhasesAndDrawsEveryExecSample() {
        List<RigChart.Bar> bars = RigChart.bootBars(full());
        assertEquals(List.of("Flint, fresh JVM process", "Flint, Machine.create, warm JVM", "QEMU microvm, fresh process"), bars.stream().map(RigChart.Bar::label).toList());
        assertEquals(4, bars.get(0).segments().size());
        assertEquals(2050.0 + 510.0 + 2040.0 + 500.0, bars.get(0).total(), 1e-9);
        assertEquals(1, RigChart.execStrips(full()).size(), "exec(true) only: no 1 MiB metrics in this result");

        BufferedImage image = RigChart.render(full(), "test");
        assertEquals(RigChart.WIDTH, image.getWidth());
        assertTrue(containsColor(image, RigChart.PHASE_COLORS[1].getRGB()), "host setup segment drawn");
        assertTrue(containsColor(image, RigChart.PHASE_COLORS[4].getRGB()), "QEMU's single span drawn");
    }

    @Test
    void restoreRowsArePairedWithQemusRestoreAndItsColdBootToTheSameHello() {
        List<Metric> metrics = List.of(
                m("qemu.process_to_hello", 2000.0, 2400.0),
                m("qemu.restore.to_ready", 400.0, 500.0),
                m("qemu.restore.first_exec", 40.0, 50.0),
                m("flint.restore.warm", 200.0, 600.0),
                m("flint.restore.first_exec", 20.0, 25.0));
        java.util.Map<String, Metric> byName = new java.util.HashMap<>();
        metrics.forEach(x -> byName.put(x.name(), x));
        List<Ratio> ratios = RigMetrics.RATIOS.stream()
                .filter(r -> byName.containsKey(r.flint()) && byName.containsKey(r.peer()))
                .map(r -> Ratio.of(r.name(), r.description(), byName.get(r.flint()), byName.get(r.peer()))).toList();
        assertEquals(List.of("restore.warm", "restore.warm_vs_peer_boot", "restore.first_exec"),
                ratios.stream().map(Ratio::name).toList());
        RigResult result = new RigResult(Map.of(), metrics, ratios);
        List<String> lines = RigReport.targets(result);
        // per round 0.5, 1.2: median 0.85 vs QEMU's restore; 0.1, 0.25: median 0.175 vs its boot
        assertTrue(lines.contains("rig: restore (warm JVM) at most QEMU's own restore: restore.warm = 0.850 -> met"),
                lines.toString());
        assertTrue(lines.contains("rig: restore (warm JVM) at most 0.2x QEMU microvm's cold boot:"
                + " restore.warm_vs_peer_boot = 0.175 -> met"), lines.toString());
        assertEquals("ms", RigMetrics.unit("qemu.restore.first_exec"));
        assertTrue(RigChart.bootBars(result).stream().map(RigChart.Bar::label).toList()
                .containsAll(List.of("Flint restore, warm JVM", "QEMU microvm restore (-incoming file)")));
        assertEquals(1, RigChart.execStrips(result).size(), "first exec after restore, both sides");
    }

    @Test
    void withoutFlintsRestoreTheReportSaysSoAndGivesQemusFigures() {
        RigResult result = new RigResult(Map.of(), List.of(m("qemu.process_to_ready", 2000.0),
                m("qemu.restore.to_ready", 400.0)), List.of());
        assertTrue(RigReport.targets(result).contains("rig: restore targets: Flint's restore not measured (run with"
                + " --restore); QEMU restore to agent-ready 400.000 ms, its cold boot 2,000 ms"),
                RigReport.targets(result).toString());
    }

    private static boolean containsColor(BufferedImage image, int rgb) {
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                if ((image.getRGB(x, y) & 0xffffff) == (rgb & 0xffffff)) {
                    return true;
                }
            }
        }
        return false;
    }
}
