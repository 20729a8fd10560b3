package dev.flint.image;

import dev.flint.image.registry.Digests;
import dev.flint.image.registry.Manifests;
import dev.flint.image.registry.MediaTypes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Pulls from a real registry: Debian's {@code docker-registry} (distribution 2.8) on loopback,
 * with images built by {@code umoci} and pushed by {@code skopeo}, gzip and zstd. Needs those
 * three binaries; skips saying so when one is absent.
 */
class RealRegistryIT {
    private static final List<String> TOOLS = List.of("/usr/bin/docker-registry", "/usr/bin/skopeo", "/usr/bin/umoci");

    @TempDir
    static Path dir;
    private static Process registry;
    private static String host;

    @BeforeAll
    static void startRegistry() throws Exception {
        for (String tool : TOOLS) {
            assumeTrue(Files.isExecutable(Path.of(tool)), "needs " + tool + " (apt-get install docker-registry"
                    + " skopeo umoci)");
        }
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        host = "127.0.0.1:" + port;
        Path config = dir.resolve("registry.yml");
        Files.writeString(config, """
                version: 0.1
                log:
                  level: warn
                storage:
                  filesystem:
                    rootdirectory: %s
                http:
                  addr: %s
                """.formatted(dir.resolve("registry-data"), host));
        registry = new ProcessBuilder("/usr/bin/docker-registry", "serve", config.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("registry.log").toFile()).start();
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (true) {
            try {
                if (http.send(HttpRequest.newBuilder(URI.create("http://" + host + "/v2/")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    break;
                }
            } catch (IOException e) {
                // not up yet
            }
            if (System.nanoTime() > deadline || !registry.isAlive()) {
                throw new IllegalStateException("docker-registry did not come up on " + host + ": "
                        + Files.readString(dir.resolve("registry.log")));
            }
            Thread.sleep(100);
        }
    }

    @AfterAll
    static void stopRegistry() throws Exception {
        if (registry != null) {
            registry.destroy();
            if (!registry.waitFor(10, TimeUnit.SECONDS)) {
                registry.destroyForcibly();
            }
        }
    }

    private static void run(String... command) throws Exception {
        Path log = dir.resolve("command.log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " took over 120 s");
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed (" + process.exitValue() + "): "
                    + Files.readString(log));
        }
    }

    /** An OCI layout {@code name} whose image {@code name:t} has one layer with {@code etc/<file>} = {@code content}. */
    private static Path buildImage(String name, String file, String content) throws Exception {
        Path layout = dir.resolve(name);
        Path bundle = dir.resolve(name + "-bundle");
        run("umoci", "init", "--layout", layout.toString());
        run("umoci", "new", "--image", layout + ":t");
        List<String> unpack = new ArrayList<>(List.of("umoci", "unpack"));
        if (!"root".equals(System.getProperty("user.name"))) {
            unpack.add("--rootless");
        }
        unpack.addAll(List.of("--image", layout + ":t", bundle.toString()));
        run(unpack.toArray(String[]::new));
        Files.createDirectories(bundle.resolve("rootfs/etc"));
        Files.writeString(bundle.resolve("rootfs/etc").resolve(file), content);
        run("umoci", "repack", "--image", layout + ":t", bundle.toString());
        return layout;
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
