package dev.flint.image;

import dev.flint.image.registry.Digests;
import dev.flint.image.registry.Manifests;
import dev.flint.image.registry.MediaTypes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pulls from a real registry: Debian's {@code docker-registry} (distribution 2.8) on loopback,
 * with images built by {@code umoci} and pushed by {@code skopeo}, gzip and zstd. Needs those
 * three binaries; skips saying so when one is absent.
 */
class RealRegistryIT {
    @TempDir
    static Path dir;
    private static Process registry;
    private static String host;

    @BeforeAll
    static void startRegistry() throws Exception {
        RegistryTools.assumeTools();
        host = "127.0.0.1:" + RegistryTools.freePort();
        registry = RegistryTools.startRegistry(dir, host, "");
    }

    @AfterAll
    static void stopRegistry() throws Exception {
        RegistryTools.stop(registry);
    }

    private static void run(String... command) throws Exception {
        RegistryTools.run(dir, command);
    }

    private static Path buildImage(String name, String file, String content) throws Exception {
        return RegistryTools.buildImage(dir, name, file, content);
    }

    /** The sha256 of each uncompressed layer, from a {@code skopeo copy --dest-decompress} to a {@code dir:}. */
    private static Path decompressedCopy(Path layout, String name) throws Exception {
        Path plain = dir.resolve(name + "-dir");
        run("skopeo", "copy", "--quiet", "--dest-decompress", "oci:" + layout + ":t", "dir:" + plain);
        return plain;
    }

    private static ImageStore store() {
        RegistrySettings settings = new RegistrySettings(Set.of(host), null, Duration.ofSeconds(30), 3);
        return ImageStore.open(dir.resolve("images"), settings);
    }

    private static String layerText(PulledImage image) throws IOException {
        return new String(Files.readAllBytes(image.layers().getLast().uncompressedTar()), StandardCharsets.ISO_8859_1);
    }

    private static String uncompressedLayerDigest(Path plainDir, PulledImage image) throws IOException {
        String manifest = Files.readString(plainDir.resolve("manifest.json"));
        String layerDigest = Manifests.manifest(manifest.getBytes(StandardCharsets.UTF_8), MediaTypes.OCI_MANIFEST)
                .layers().getLast().digest();
        return Digests.sha256(Files.readAllBytes(plainDir.resolve(Digests.hex(layerDigest))));
    }

    @Test
    void pullsAGzipImagePushedBySkopeo() throws Exception {
        String content = "hello from umoci " + UUID.randomUUID();
        Path layout = buildImage("gz", "hello", content);
        run("skopeo", "copy", "--quiet", "--dest-tls-verify=false", "oci:" + layout + ":t",
                "docker://" + host + "/test/x:t");
        try (ImageStore store = store()) {
            PulledImage image = store.pull(ImageReference.parse(host + "/test/x:t"), PullPolicy.ALWAYS,
                    PullListener.NONE);
            assertEquals(Manifests.diffIds(image.configJson()),
                    image.layers().stream().map(LayerFile::diffId).toList());
            assertEquals(MediaTypes.OCI_LAYER_GZIP, image.layers().getLast().mediaType());
            assertEquals(uncompressedLayerDigest(decompressedCopy(layout, "gz"), image),
                    image.layers().getLast().diffId());
            assertTrue(layerText(image).contains("etc/hello") && layerText(image).contains(content));
        }
    }

    @Test
    void pullsAZstdImagePushedBySkopeo() throws Exception {
        // Unique content: skopeo silently reuses a gzip blob the registry or its cache already knows.
        String content = "zstd from skopeo " + UUID.randomUUID();
        Path layout = buildImage("zst", "zstd", content);
        Path plain = decompressedCopy(layout, "zst");
        run("skopeo", "copy", "--quiet", "--dest-tls-verify=false", "--dest-compress", "--dest-compress-format", "zstd",
                "dir:" + plain, "docker://" + host + "/test/z:t");
        String pushed = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://" + host
                        + "/v2/test/z/manifests/t")).header("Accept", MediaTypes.manifestAccept()).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(pushed.contains(MediaTypes.OCI_LAYER_ZSTD), "skopeo pushed no zstd layer: " + pushed);
        try (ImageStore store = store()) {
            PulledImage image = store.pull(ImageReference.parse(host + "/test/z:t"), PullPolicy.MISSING,
                    PullListener.NONE);
            assertEquals(MediaTypes.OCI_LAYER_ZSTD, image.layers().getLast().mediaType());
            assertEquals(uncompressedLayerDigest(plain, image), image.layers().getLast().diffId());
            assertTrue(layerText(image).contains("etc/zstd") && layerText(image).contains(content));
            try (Stream<Path> files = Files.list(dir.resolve("images/tmp"))) {
                assertEquals(0, files.count());
            }
        }
    }
}
