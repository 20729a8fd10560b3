package dev.flint.benchmarks.rig;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The rig result as a PNG, drawn with java.awt alone: boot to agent-ready as stacked bars of
 * phase medians (Flint's split from its own timeline, QEMU as one span), then every exec round
 * trip sample as a dot with the median and p90 marked, Flint above the peer on a shared scale.
 */
final class RigChart {
    static final int WIDTH = 1000;
    static final Color[] PHASE_COLORS = {new Color(0xbab0ac), new Color(0x4e79a7), new Color(0xf28e2b),
            new Color(0x59a14f), new Color(0xe15759)};
    private static final int MARGIN = 12;
    private static final int ROW = 30;
    private static final int LABEL_WIDTH = 290;

    static {
        System.setProperty("java.awt.headless", "true");
    }

    /** One stacked bar: named segments in order, each a median in ms. */
    record Bar(String label, List<String> segmentNames, List<Double> segments) {
        double total() {
            return segments.stream().mapToDouble(Double::doubleValue).sum();
        }
    }

    /** One row of dots: all samples of a metric. */
    record Strip(String label, Metric metric) {
    }

    private RigChart() {
    }

    static List<Bar> bootBars(RigResult result) {
        List<Bar> bars = new ArrayList<>();
        List<String> coldPhases = List.of("flint.cold.jvm_start", "flint.cold.host_setup", "flint.cold.kernel_to_init",
                "flint.cold.init_to_ready");
        addBar(bars, result, "Flint, fresh JVM process", coldPhases);
        addBar(bars, result, "Flint, fresh JVM as ./flint starts it", coldPhases.stream()
                .map(name -> name.replace("flint.cold.", "flint.cold_launcher.")).toList());
        addBar(bars, result, "Flint, Machine.create, warm JVM", List.of("flint.warm.create_to_ready"));
        addBar(bars, result, "QEMU microvm, fresh process", List.of("qemu.process_to_ready"));
        addBar(bars, result, "QEMU microvm, fresh process to HELLO", List.of("qemu.process_to_hello"));
        addBar(bars, result, "Flint restore, warm JVM", List.of("flint.restore.warm"));
        addBar(bars, result, "Flint restore, fresh JVM process", List.of("flint.restore.fresh_process"));
        addBar(bars, result, "Flint fork of one clone", List.of("flint.fork"));
        addBar(bars, result, "Flint warm-pool checkout", List.of("flint.pool_checkout"));
        addBar(bars, result, "QEMU microvm restore (-incoming file)", List.of("qemu.restore.to_ready"));
        return bars;
    }

    private static void addBar(List<Bar> bars, RigResult result, String label, List<String> metrics) {
        List<Double> medians = new ArrayList<>();
        for (String name : metrics) {
            Optional<Metric> metric = result.metric(name);
            if (metric.isEmpty()) {
                return;
            }
            medians.add(metric.get().summary().median());
        }
        bars.add(new Bar(label, metrics, medians));
    }

    static List<List<Strip>> execStrips(RigResult result) {
        List<List<Strip>> groups = new ArrayList<>();
        for (String kind : List.of("exec_true", "exec_1mib", "restore.first_exec")) {
            List<Strip> strips = new ArrayList<>();
            result.metric("flint." + kind).ifPresent(m -> strips.add(new Strip("Flint " + label(kind), m)));
            result.metric("qemu." + kind).ifPresent(m -> strips.add(new Strip("QEMU microvm " + label(kind), m)));
            if (!strips.isEmpty()) {
                groups.add(strips);
            }
        }
        return groups;
    }

    private static String label(String kind) {
        return switch (kind) {
            case "exec_true" -> "exec([\"true\"])";
            case "exec_1mib" -> "exec, 1 MiB stdout";
            default -> "first exec after restore";
        };
    }

    static void write(RigResult result, String title, Path png) throws IOException {
        Path parent = png.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        if (!ImageIO.write(render(result, title), "png", png.toFile())) {
            throw new IOException("no PNG writer in this JDK");
        }
    }

    static BufferedImage render(RigResult result, String title) {
        List<Bar> bars = bootBars(result);
        List<List<Strip>> strips = execStrips(result);
        int stripRows = strips.stream().mapToInt(List::size).sum();
        int height = 40 + 30 + ROW * bars.size() + 40 + strips.size() * 64 + ROW * stripRows + MARGIN;
        BufferedImage image = new BufferedImage(WIDTH, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, height);
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
            g.drawString(title, MARGIN, MARGIN + 14);
            int y = drawBars(g, bars, 40);
            drawStrips(g, strips, y + 20);
        } finally {
            g.dispose();
        }
        return image;
    }

    private static int drawBars(Graphics2D g, List<Bar> bars, int top) {
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 12));
        g.setColor(Color.BLACK);
        g.drawString("Boot or restore to agent-ready (medians, ms; same kernel, initramfs, 256 MiB, 1 vCPU)", MARGIN, top + 12);
        int y = top + 20;
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        int x = MARGIN;
        for (int i = 0; i < 4; i++) {   // legend of Flint's phases
            String name = List.of("JVM start", "host setup", "kernel to init", "init to agent-ready").get(i);
            g.setColor(PHASE_COLORS[i]);
            g.fillRect(x, y, 10, 10);
            g.setColor(Color.BLACK);
            g.drawString(name, x + 14, y + 10);
            x += 24 + g.getFontMetrics().stringWidth(name);
        }
        g.setColor(PHASE_COLORS[4]);
        g.fillRect(x, y, 10, 10);
        g.setColor(Color.BLACK);
        g.drawString("whole span (no split available)", x + 14, y + 10);
        y += 20;
        double max = bars.stream().mapToDouble(Bar::total).max().orElse(1);
        int barLeft = MARGIN + LABEL_WIDTH;
        int barWidth = WIDTH - barLeft - 110;
        for (Bar bar : bars) {
            g.setColor(Color.BLACK);
            g.drawString(bar.label(), MARGIN, y + ROW / 2 + 4);
            double at = 0;
            for (int i = 0; i < bar.segments().size(); i++) {
                Color color = bar.segments().size() == 1 ? PHASE_COLORS[4]
                        : PHASE_COLORS[bar.segments().size() == 3 ? i + 1 : i];
                int left = barLeft + (int) Math.round(at / max * barWidth);
                at += bar.segments().get(i);
                int right = barLeft + (int) Math.round(at / max * barWidth);
                g.setColor(color);
                g.fillRect(left, y + 5, Math.max(1, right - left), ROW - 10);
            }
            g.setColor(Color.BLACK);
            g.drawString(String.format(Locale.ROOT, "%,.0f ms", bar.total()),
                    barLeft + (int) Math.round(at / max * barWidth) + 6, y + ROW / 2 + 4);
            y += ROW;
        }
        return y;
    }

    private static void drawStrips(Graphics2D g, List<List<Strip>> groups, int top) {
        int y = top;
        int left = MARGIN + LABEL_WIDTH;
        int width = WIDTH - left - 110;
        for (List<Strip> group : groups) {
            String unit = group.get(0).metric().unit();
            double max = group.stream().mapToDouble(s -> s.metric().summary().max()).max().orElse(1) * 1.05;
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 12));
            g.setColor(Color.BLACK);
            g.drawString("Exec round trip, every sample (" + unit + "); black mark: median, red mark: p90", MARGIN, y + 12);
            y += 34;
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
            g.setColor(Color.GRAY);
            g.drawLine(left, y, left + width, y);
            for (int tick = 0; tick <= 4; tick++) {
                int tx = left + width * tick / 4;
                g.drawLine(tx, y - 3, tx, y + 3);
                g.drawString(String.format(Locale.ROOT, "%,.0f", max * tick / 4), tx - 8, y - 5);
            }
            y += 6;
            for (Strip strip : group) {
                Summary s = strip.metric().summary();
                g.setColor(Color.BLACK);
                g.drawString(strip.label(), MARGIN, y + ROW / 2 + 4);
                g.setColor(new Color(78, 121, 167, 110));
                int middle = y + ROW / 2;
                List<Double> samples = strip.metric().samples();
                for (int i = 0; i < samples.size(); i++) {
                    int dx = left + (int) Math.round(samples.get(i) / max * width);
                    int jitter = (i * 7919 % 11) - 5;   // spreads equal values vertically, deterministically
                    g.fillOval(dx - 3, middle + jitter - 3, 6, 6);
                }
                g.setStroke(new BasicStroke(2f));
                g.setColor(Color.BLACK);
                int mx = left + (int) Math.round(s.median() / max * width);
                g.drawLine(mx, y + 4, mx, y + ROW - 4);
                g.setColor(new Color(0xe15759));
                int px = left + (int) Math.round(s.p90() / max * width);
                g.drawLine(px, y + 8, px, y + ROW - 8);
                g.setStroke(new BasicStroke(1f));
                g.setColor(Color.BLACK);
                g.drawString(String.format(Locale.ROOT, "%,.0f / %,.0f", s.median(), s.p90()), left + width + 6, middle + 4);
                y += ROW;
            }
            y += 24;
        }
    }
}
