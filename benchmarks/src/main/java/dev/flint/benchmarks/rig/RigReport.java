package dev.flint.benchmarks.rig;

import dev.flint.benchmarks.tools.ResultTable;
import dev.flint.benchmarks.tools.TextTable;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Prints a rig result's tables (metrics, Flint/peer ratios, the targets) and draws its
 * chart. Usage: {@code RigReport RESULT.json [CHART.png]} (default: the JSON's name with .png).
 */
public final class RigReport {
    /** The rig target: Flint's boot at most half of QEMU microvm's. */
    static final double RIG_BOOT_RATIO_TARGET = 0.5;
    /** Issue 13's rig target: a warm-JVM restore to agent-ready at most 0.2x QEMU microvm's cold boot. */
    static final double RIG_RESTORE_VS_PEER_BOOT_TARGET = 0.2;

    private RigReport() {
    }

    static String metricsTable(RigResult result) {
        TextTable table = new TextTable("<Metric", "Median", "p90", "Min", "Max", "N", "<Unit");
        for (Metric m : result.metrics()) {
            Summary s = m.summary();
            table.row(m.name(), ResultTable.number(s.median()), ResultTable.number(s.p90()), ResultTable.number(s.min()),
                    ResultTable.number(s.max()), String.valueOf(s.count()), m.unit());
        }
        return table.toString();
    }

    static String ratioTable(RigResult result) {
        TextTable table = new TextTable("<Flint / peer", "Median", "Min", "Max", "Noise (±)", "<Compares");
        for (Ratio r : result.ratios()) {
            Summary s = r.summary();
            table.row(r.name(), ratio(s.median()), ratio(s.min()), ratio(s.max()), ratio(r.noise()), r.description());
        }
        return table.toString();
    }

    /** The targets, reported against the measurements, never asserted. */
    static List<String> targets(RigResult result) {
        List<String> lines = new ArrayList<>();
        for (String name : List.of("boot.cold_process", "boot.cold_process_launcher", "boot.warm_machine_create")) {
            ratioNamed(result, name).ifPresent(r -> lines.add(String.format(Locale.ROOT,
                    "rig: boot at most %.1fx QEMU microvm's: %s = %s -> %s", RIG_BOOT_RATIO_TARGET, name,
                    ratio(r.summary().median()), r.summary().median() <= RIG_BOOT_RATIO_TARGET ? "met" : "not met")));
        }
        ratioNamed(result, "restore.warm_vs_peer_boot").ifPresent(r -> lines.add(target(String.format(Locale.ROOT,
                "rig: restore (warm JVM) at most %.1fx QEMU microvm's cold boot", RIG_RESTORE_VS_PEER_BOOT_TARGET),
                r, RIG_RESTORE_VS_PEER_BOOT_TARGET)));
        ratioNamed(result, "restore.warm").ifPresent(r -> lines.add(target(
                "rig: restore (warm JVM) at most QEMU's own restore", r, 1.0)));
        if (result.metric("qemu.restore.to_ready").isPresent() && result.metric("flint.restore.warm").isEmpty()) {
            lines.add("rig: restore targets: Flint's restore not measured (run with --restore); QEMU restore to"
                    + " agent-ready " + median(result, "qemu.restore.to_ready", "ms") + ", its cold boot "
                    + median(result, "qemu.process_to_ready", "ms"));
        }
        String hardware = "hardware KVM only (the rig's CPU is emulated; its absolute times are no measure): ";
        lines.add(hardware + "boot to agent-ready < 60 ms; rig median " + median(result, "flint.warm.create_to_ready", "ms"));
        lines.add(hardware + "exec round trip < 200 us; rig median " + median(result, "flint.exec_true", "us"));
        lines.add("host overhead < 5 MiB/machine: rig median " + median(result, "flint.warm.vmm_rss", "MiB")
                + " per Machine.create beyond its guest pages, QEMU " + median(result, "qemu.vmm_rss", "MiB")
                + "; whole-process RSS at ready, Flint " + median(result, "flint.cold.process_rss", "MiB")
                + " (JVM included), QEMU " + median(result, "qemu.process_rss", "MiB"));
        return lines;
    }

    private static String target(String what, Ratio r, double limit) {
        return what + ": " + r.name() + " = " + ratio(r.summary().median()) + " -> "
                + (r.summary().median() <= limit ? "met" : "not met");
    }

    private static Optional<Ratio> ratioNamed(RigResult result, String name) {
        return result.ratios().stream().filter(r -> r.name().equals(name)).findFirst();
    }

    private static String median(RigResult result, String metric, String unit) {
        return result.metric(metric).map(m -> ResultTable.number(m.summary().median()) + " " + unit).orElse("not measured");
    }

    private static String ratio(double value) {
        return String.format(Locale.ROOT, "%.3f", value);
    }

    static Path chartBeside(Path json) {
        String name = json.getFileName().toString();
        return json.resolveSibling((name.endsWith(".json") ? name.substring(0, name.length() - 5) : name) + ".png");
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: RigReport RESULT.json [CHART.png]");
            System.exit(2);
        }
        Path json = Path.of(args[0]);
        RigResult result = RigResult.read(json);
        System.out.print(metricsTable(result));
        System.out.println();
        System.out.print(ratioTable(result));
        System.out.println();
        targets(result).forEach(System.out::println);
        Path png = args.length == 2 ? Path.of(args[1]) : chartBeside(json);
        RigChart.write(result, "Flint vs QEMU microvm in the nested rig: " + json.getFileName()
                + " (emulated CPU: compare, don't quote)", png);
        System.out.println("chart: " + png);
    }
}
