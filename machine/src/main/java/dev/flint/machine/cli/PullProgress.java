package dev.flint.machine.cli;

import dev.flint.image.PullListener;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Pull progress on the terminal: on a TTY one status line per layer, redrawn in place (bytes,
 * total, rate); otherwise (CI logs, pipes) one line when a layer starts and one when it ends.
 */
final class PullProgress implements PullListener {
    private static final long REDRAW_NANOS = 200_000_000L;

    private final PrintStream err;
    private final boolean tty;
    private final Map<String, Layer> layers = new LinkedHashMap<>();
    private long lastDraw;
    private int linesDrawn;

    private static final class Layer {
        final long size;
        final long started = System.nanoTime();
        long done;
        String state = "downloading";

        Layer(long size) {
            this.size = size;
        }
    }

    PullProgress(PrintStream err) {
        this(err, System.console() != null);
    }

    PullProgress(PrintStream err, boolean tty) {
        this.err = err;
        this.tty = tty;
    }

    @Override
    public synchronized void layerStarted(String digest, long size) {
        layers.put(digest, new Layer(size));
        if (!tty) {
            err.println("flint: pulling " + shortDigest(digest) + " (" + ImageCommands.size(size) + ")");
        }
        draw(true);
    }

    @Override
    public synchronized void layerProgress(String digest, long done, long size) {
        Layer layer = layers.computeIfAbsent(digest, d -> new Layer(size));
        layer.done = done;
        draw(false);
    }

    @Override
    public synchronized void layerDone(String digest, boolean cached) {
        Layer layer = layers.computeIfAbsent(digest, d -> new Layer(0));
        layer.done = layer.size;
        layer.state = cached ? "already stored" : "done";
        if (!tty) {
            err.println("flint: " + shortDigest(digest) + " " + line(layer));
        }
        draw(true);
    }

    @Override
    public synchronized void message(String message) {
        err.println("flint: " + message);
        linesDrawn = 0;
    }

    private void draw(boolean force) {
        long now = System.nanoTime();
        if (!tty || (!force && now - lastDraw < REDRAW_NANOS)) {
            return;
        }
        lastDraw = now;
        StringBuilder text = new StringBuilder();
        if (linesDrawn > 0) {
            text.append("\033[").append(linesDrawn).append('A');
        }
        for (Map.Entry<String, Layer> entry : layers.entrySet()) {
            text.append("\r\033[K").append(shortDigest(entry.getKey())).append(' ').append(line(entry.getValue())).append('\n');
        }
        linesDrawn = layers.size();
        err.print(text);
        err.flush();
    }

    private static String line(Layer layer) {
        double seconds = Math.max(1e-3, (System.nanoTime() - layer.started) / 1e9);
        return String.format(Locale.ROOT, "%-14s %10s / %-10s %8s/s", layer.state, ImageCommands.size(layer.done),
                ImageCommands.size(layer.size), ImageCommands.size((long) (layer.done / seconds)));
    }

    private static String shortDigest(String digest) {
        String hex = digest.substring(digest.indexOf(':') + 1);
        return hex.substring(0, Math.min(12, hex.length()));
    }
}
