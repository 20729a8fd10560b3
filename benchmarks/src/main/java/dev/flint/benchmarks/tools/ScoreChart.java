package dev.flint.benchmarks.tools;

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
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A PNG bar chart of benchmark scores with their error bars, drawn with java.awt alone. Scores
 * of unrelated benchmarks span six decades and several units, so bars share a scale only within
 * their benchmark class (the variants worth comparing, e.g. a chain of 1 against a chain of 3);
 * a grey line separates the classes, and every row prints its score and unit.
 */
public final class ScoreChart {
    /** The bars' color, public so tests can find them. */
    public static final Color BAR = new Color(0x4e79a7);
    private static final Color ERROR_BAR = new Color(0x222222);
    private static final int MARGIN = 10;
    private static final int TITLE_HEIGHT = 30;

    static {
        // Draws into an image only: no display needed, none may be there.
        System.setProperty("java.awt.headless", "true");
    }

    private ScoreChart() {
    }

    /** A sensible height for {@code rows} bars: 28 pixels each under the title. */
    public static int heightFor(int rows) {
        return TITLE_HEIGHT + 2 * MARGIN + 28 * Math.max(rows, 1);
    }

    /** Renders the chart and writes it as a PNG. */
    public static void write(List<BenchmarkResult> results, String title, int width, int height, Path png)
            throws IOException {
        Path parent = png.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        if (!ImageIO.write(render(results, title, width, height), "png", png.toFile())) {
            throw new IOException("no PNG writer in this JDK");
        }
    }

    static BufferedImage render(List<BenchmarkResult> results, String title, int width, int height) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
            g.drawString(title, MARGIN, MARGIN + 16);
            if (!results.isEmpty()) {
                drawRows(g, results, width, height);
            }
        } finally {
            g.dispose();
        }
        return image;
    }

    private static void drawRows(Graphics2D g, List<BenchmarkResult> results, int width, int height) {
        // The longest bar of each group (score plus its error) fills the bar area.
        Map<String, Double> groupMax = results.stream().collect(Collectors.toMap(ScoreChart::group,
                r -> r.score() + (r.hasError() ? r.error() : 0), Math::max));
        int rowHeight = Math.max(1, (height - TITLE_HEIGHT - 2 * MARGIN) / results.size());
        int labelWidth = width * 2 / 5;
        int valueWidth = width / 5;
        int barLeft = MARGIN + labelWidth;
        int barWidth = Math.max(1, width - barLeft - valueWidth - MARGIN);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, Math.max(8, Math.min(12, rowHeight * 3 / 5))));
        g.setStroke(new BasicStroke(1.5f));
        for (int i = 0; i < results.size(); i++) {
            BenchmarkResult r = results.get(i);
            int top = TITLE_HEIGHT + MARGIN + i * rowHeight;
            int middle = top + rowHeight / 2;
            int textBaseline = middle + g.getFontMetrics().getAscent() / 2 - 1;
            double scale = barWidth / groupMax.get(group(r));
            if (i > 0 && !group(r).equals(group(results.get(i - 1)))) {
                g.setColor(Color.LIGHT_GRAY);
                g.drawLine(MARGIN, top, width - MARGIN, top);
            }
            g.setColor(Color.BLACK);
            g.drawString(fit(g, r.shortName(), labelWidth - MARGIN), MARGIN, textBaseline);
            g.setColor(BAR);
            g.fillRect(barLeft, top + rowHeight / 5, (int) Math.round(r.score() * scale), Math.max(1, rowHeight * 3 / 5));
            if (r.hasError()) {
                int low = barLeft + (int) Math.round(Math.max(0, r.score() - r.error()) * scale);
                int high = barLeft + (int) Math.round((r.score() + r.error()) * scale);
                int cap = Math.max(2, rowHeight / 5);
                g.setColor(ERROR_BAR);
                g.drawLine(low, middle, high, middle);
                g.drawLine(low, middle - cap, low, middle + cap);
                g.drawLine(high, middle - cap, high, middle + cap);
            }
            g.setColor(Color.BLACK);
            String value = ResultTable.number(r.score()) + (r.hasError() ? " ± " + ResultTable.number(r.error()) : "")
                    + " " + r.unit();
            g.drawString(fit(g, value, valueWidth), barLeft + barWidth + MARGIN, textBaseline);
        }
    }

    /** The benchmark class and unit: bars that share a scale. */
    private static String group(BenchmarkResult r) {
        int method = r.benchmark().lastIndexOf('.');
        return (method < 0 ? r.benchmark() : r.benchmark().substring(0, method)) + " " + r.unit();
    }

    /** Cuts {@code text} from the left until it fits, keeping the method name visible. */
    private static String fit(Graphics2D g, String text, int pixels) {
        String shown = text;
        while (shown.length() > 1 && g.getFontMetrics().stringWidth(shown) > pixels) {
            shown = shown.substring(1);
        }
        return shown.equals(text) ? text : "…" + shown.substring(Math.min(1, shown.length() - 1));
    }
}
