package dev.flint.benchmarks.tools;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ScoreChartTest {
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    private static final List<BenchmarkResult> RESULTS = List.of(
            new BenchmarkResult("dev.flint.benchmarks.queue.Q.one", "avgt", 50, 5, "ns/op", List.of()),
            new BenchmarkResult("dev.flint.benchmarks.queue.Q.three", "avgt", 100, 10, "ns/op", List.of()),
            new BenchmarkResult("dev.flint.benchmarks.kvm.Vm.start", "avgt", 1500, Double.NaN, "us/op", List.of()));

    @Test
    void writesAValidPngOfTheAskedSize(@TempDir Path dir) throws IOException {
        Path png = dir.resolve("sub/chart.png");

        ScoreChart.write(RESULTS, "test chart", 640, 200, png);

        byte[] bytes = Files.readAllBytes(png);
        assertArrayEquals(PNG_SIGNATURE, Arrays.copyOf(bytes, 8));
        BufferedImage image = ImageIO.read(png.toFile());
        assertNotNull(image, "ImageIO reads it back");
        assertEquals(640, image.getWidth());
        assertEquals(200, image.getHeight());
    }

    @Test
    void barLengthsFollowTheScoresWithinAClass() {
        BufferedImage image = ScoreChart.render(RESULTS, "test chart", 800, ScoreChart.heightFor(RESULTS.size()));

        int one = barPixels(image, 0);
        int three = barPixels(image, 1);
        int vm = barPixels(image, 2);
        assertTrue(one > 0 && three > 0 && vm > 0, "every row has a bar: " + one + ", " + three + ", " + vm);
        // Q.three fills its class's scale but for its error bar (100 of 110); Q.one is half of it.
        assertEquals(0.5, (double) one / three, 0.03);
        assertEquals(three * 110 / 100.0, vm, 3, "a class of its own, without an error, fills the bar area");
    }

    /** Bar-colored pixels across the middle of row {@code row}. */
    private static int barPixels(BufferedImage image, int row) {
        int rowHeight = (image.getHeight() - 30 - 20) / RESULTS.size();
        int y = 30 + 10 + row * rowHeight + rowHeight / 2 - 3;
        int count = 0;
        for (int x = 0; x < image.getWidth(); x++) {
            if ((image.getRGB(x, y) & 0xffffff) == (ScoreChart.BAR.getRGB() & 0xffffff)) {
                count++;
            }
        }
        return count;
    }

    @Test
    void heightGrowsWithTheRows() {
        assertEquals(ScoreChart.heightFor(1) + 28 * 9, ScoreChart.heightFor(10));
    }
}
