package dev.flint.image.registry;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.flint.image.ImageException;
import org.junit.jupiter.api.Timeout;

import java.util.List;

/**
 * Fuzz target {@code manifest}: a registry's manifest documents, as a pull reads them: the
 * media type (declared, sent or guessed), an index's entries and the linux/amd64 choice among
 * them, a manifest's config and layers, a config's diff_ids. The first byte picks the
 * Content-Type the registry claims. Oracle: parsed, or an {@link ImageException} naming what
 * is wrong; never another exception.
 * {@code ./flint fuzz manifest}; the unit tests replay {@code ManifestFuzzTestInputs/replay}.
 */
public class ManifestFuzzTest {
    private static final List<String> CONTENT_TYPES = List.of("", MediaTypes.OCI_INDEX, MediaTypes.OCI_MANIFEST,
            "application/vnd.docker.distribution.manifest.v2+json; charset=utf-8", "text/plain");

    public static void fuzzerTestOneInput(byte[] input) {
        if (input.length == 0) {
            return;
        }
        byte[] document = java.util.Arrays.copyOfRange(input, 1, input.length);
        String contentType = CONTENT_TYPES.get(Byte.toUnsignedInt(input[0]) % CONTENT_TYPES.size());
        try {
            String mediaType = Manifests.mediaTypeOf(document, contentType);
            if (MediaTypes.isIndex(mediaType)) {
                Manifests.choosePlatform(Manifests.indexEntries(document), Platform.LINUX_AMD64, "fuzz/image:latest");
            } else {
                ImageManifest manifest = Manifests.manifest(document, mediaType);
                Manifests.write(manifest.config(), manifest.layers());
            }
        } catch (ImageException expected) {
            // Not an image, or a broken document: the pull fails saying so.
        }
        try {
            Manifests.diffIds(document);
        } catch (ImageException expected) {
            // Not JSON.
        }
    }

    @FuzzTest
    @Timeout(10)
    void replay(byte[] input) {
        fuzzerTestOneInput(input);
    }
}
