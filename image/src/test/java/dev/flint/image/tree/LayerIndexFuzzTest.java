package dev.flint.image.tree;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.flint.image.ImageException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Fuzz target {@code layer-tar}: a layer tar as Flint reads it: {@link LayerIndex#scan} of its
 * headers (ustar, GNU long names, PAX), then the layer flattened into an {@link ImageTree}
 * (whiteouts, hard links) and every member looked up and, for files, read. Oracle: a tree, or
 * an {@link ImageException} (InvalidLayerException) naming the bad member; never another
 * exception, and no read longer than the tar itself.
 * {@code ./flint fuzz layer-tar}; the unit tests replay {@code LayerIndexFuzzTestInputs/replay}.
 */
public class LayerIndexFuzzTest {
    private static final Path TAR = tempTar();

    private static Path tempTar() {
        try {
            Path tar = Files.createTempFile("flint-fuzz-layer", ".tar");
            tar.toFile().deleteOnExit();
            return tar;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static void fuzzerTestOneInput(byte[] input) throws IOException {
        Files.write(TAR, input);
        try {
            List<TarEntry> entries = LayerIndex.scan(TAR).entries();
            ImageTree tree = ImageTree.flatten(List.of(TAR));
            for (TarEntry entry : entries) {
                tree.lookup(entry.path()).ifPresent(node -> {
                    if (node.isRegularFile()) {
                        tree.readFile(entry.path()).ifPresent(bytes -> {
                            if (bytes.length > input.length) {
                                throw new AssertionError(entry.path() + " read " + bytes.length + " bytes from a "
                                        + input.length + "-byte tar");
                            }
                        });
                    }
                });
            }
        } catch (ImageException expected) {
            // Not a tar Flint reads: the pull or load fails naming the member.
        }
    }

    @FuzzTest
    @Timeout(10)
    void replay(byte[] input) throws IOException {
        fuzzerTestOneInput(input);
    }

    @AfterAll
    static void removeTar() throws IOException {
        Files.deleteIfExists(TAR);
    }
}
