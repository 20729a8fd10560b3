package dev.flint.image;

import dev.flint.image.registry.Compression;
import dev.flint.image.registry.Digests;
import dev.flint.image.registry.MediaTypes;
import dev.flint.image.registry.TestImages;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageLoadTest {
    @TempDir
    Path dir;
    private ImageStore store;

    private ImageStore store() {
        store = ImageStore.open(dir.resolve("images"), RegistrySettings.from(Map.of(), dir, List.of()));
        return store;
    }

    @AfterEach
    void close() {
        if (store != null) {
            store.close();
        }
    }

    private static void writeBlob(Path layout, byte[] content) throws Exception {
        Path file = layout.resolve("blobs/sha256/" + Digests.hex(Digests.sha256(content)));
        Files.createDirectories(file.getParent());
        Files.write(file, content);
    }

    private static Path ociLayout(Path layout, String indexEntries, TestImages.Image... images) throws Exception {
        Files.createDirectories(layout);
        Files.writeString(layout.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        for (TestImages.Image image : images) {
            writeBlob(layout, image.config());
            writeBlob(layout, image.manifest());
            for (TestImages.Layer layer : image.layers()) {
                writeBlob(layout, layer.blob());
            }
        }
        Files.writeString(layout.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[" + indexEntries + "]}");
        return layout;
    }

    private static String entry(String mediaType, String digest, long size, String annotations) {
        return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + digest + "\",\"size\":" + size
                + (annotations == null ? "" : ",\"annotations\":{" + annotations + "}") + "}";
    }

    @Test
    void loadsAnOciLayoutNamedByItsRefNameAnnotations() throws Exception {
        TestImages.Image tagged = TestImages.image(List.of(TestImages.layer("etc/a", "a", Compression.GZIP),
                TestImages.layer("etc/z", "z", Compression.ZSTD)));
        TestImages.Image amd64 = TestImages.image(List.of(TestImages.layer("etc/m", "amd64", Compression.NONE)));
        TestImages.Image arm64 = TestImages.image(List.of(TestImages.layer("etc/m", "arm64", Compression.NONE)));
        byte[] index = TestImages.index(TestImages.platforms("linux/arm64", arm64, "linux/amd64", amd64));
        Path layout = ociLayout(dir.resolve("My Layout"), String.join(",",
                entry(MediaTypes.OCI_MANIFEST, tagged.manifestDigest(), tagged.manifest().length,
                        "\"org.opencontainers.image.ref.name\":\"t\""),
                entry(MediaTypes.OCI_INDEX, Digests.sha256(index), index.length,
                        "\"org.opencontainers.image.ref.name\":\"example.com/multi/app:2\""),
                entry(MediaTypes.OCI_MANIFEST, amd64.manifestDigest(), amd64.manifest().length, null)),
                tagged, amd64, arm64);
        writeBlob(layout, index);

        List<PulledImage> loaded = store().load(layout, PullListener.NONE);
        assertEquals(3, loaded.size());
        assertEquals("localhost/my-layout:t", loaded.get(0).reference().canonical());
        assertEquals(tagged.manifestDigest(), loaded.get(0).manifestDigest());
        assertEquals("example.com/multi/app:2", loaded.get(1).reference().canonical());
        assertEquals(amd64.manifestDigest(), loaded.get(1).manifestDigest(), "the index resolves to linux/amd64");
        assertEquals("localhost/my-layout@" + amd64.manifestDigest(), loaded.get(2).reference().canonical());
        PulledImage found = store.find(ImageReference.parse("localhost/my-layout:t")).orElseThrow();
        for (int i = 0; i < 2; i++) {
            assertEquals(tagged.layers().get(i).diffId(),
                    Digests.sha256(Files.readAllBytes(found.layers().get(i).uncompressedTar())));
        }
        assertEquals(3, store.list().size());
        assertEquals(found.manifestDigest(), store.pull(ImageReference.parse("localhost/my-layout:t"),
                PullPolicy.NEVER, PullListener.NONE).manifestDigest());
    }

    @Test
    void aCorruptLayoutBlobIsRejected() throws Exception {
        TestImages.Image image = TestImages.image(List.of(TestImages.layer("etc/a", "a", Compression.GZIP)));
        Path layout = ociLayout(dir.resolve("bad"), entry(MediaTypes.OCI_MANIFEST, image.manifestDigest(),
                image.manifest().length, null), image);
        Files.write(layout.resolve("blobs/sha256/" + Digests.hex(image.layers().getFirst().digest())), new byte[]{1});
        assertThrows(DigestMismatchException.class, () -> store().load(layout, PullListener.NONE));
        assertTrue(store.list().isEmpty());
    }

    @Test
    void loadsADockerSaveArchiveWithSharedLayersAsSymlinks() throws Exception {
        TestImages.Layer base = TestImages.layer("etc/base", "base", Compression.NONE);
        TestImages.Layer app = TestImages.layer("etc/app", "app", Compression.NONE);
        TestImages.Image one = TestImages.image(List.of(base, app));
        TestImages.Image two = TestImages.image(List.of(base));
        String baseId = "1".repeat(64);
        String appId = "2".repeat(64);
        String linkedId = "3".repeat(64);
        String configOne = Digests.hex(one.configDigest()) + ".json";
        String configTwo = Digests.hex(two.configDigest()) + ".json";
        String manifest = "[{\"Config\":\"" + configOne + "\",\"RepoTags\":[\"myapp:1\",\"registry.local:5000/team/myapp:1\"],"
                + "\"Layers\":[\"" + baseId + "/layer.tar\",\"" + appId + "/layer.tar\"]},"
                + "{\"Config\":\"" + configTwo + "\",\"RepoTags\":null,\"Layers\":[\"" + linkedId + "/layer.tar\"]}]";
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put(baseId + "/VERSION", "1.0".getBytes());
        files.put(baseId + "/layer.tar", base.blob());
        files.put(appId + "/layer.tar", app.blob());
        files.put(configOne, one.config());
        files.put(configTwo, two.config());
        files.put("manifest.json", manifest.getBytes(StandardCharsets.UTF_8));
        files.put("repositories", "{\"myapp\":{\"1\":\"x\"}}".getBytes());
        Path archive = dir.resolve("saved.tar");
        Files.write(archive, TestImages.tarWithSymlink(files, linkedId + "/layer.tar", "../" + baseId + "/layer.tar"));

        List<PulledImage> loaded = store().load(archive, PullListener.NONE);
        assertEquals(List.of("docker.io/library/myapp:1", "registry.local:5000/team/myapp:1"),
                loaded.subList(0, 2).stream().map(p -> p.reference().canonical()).toList());
        assertTrue(loaded.get(2).reference().canonical().startsWith("localhost/saved@sha256:"));
        PulledImage first = loaded.getFirst();
        assertEquals(List.of(base.diffId(), app.diffId()), first.layers().stream().map(LayerFile::diffId).toList());
        assertEquals(base.diffId(), Digests.sha256(Files.readAllBytes(first.layers().get(0).uncompressedTar())));
        assertEquals(base.diffId(), loaded.get(2).layers().getFirst().diffId());
        assertTrue(store.find(ImageReference.parse("myapp:1")).isPresent());
    }

    @Test
    void loadsANewerDockerSaveWithBlobPathsAndAnIndex() throws Exception {
        TestImages.Layer layer = TestImages.layer("etc/new", "new docker", Compression.NONE);
        TestImages.Image image = TestImages.image(List.of(layer));
        String config = "blobs/sha256/" + Digests.hex(image.configDigest());
        String layerPath = "blobs/sha256/" + Digests.hex(layer.digest());
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("blobs/sha256/" + Digests.hex(image.manifestDigest()), image.manifest());
        files.put(config, image.config());
        files.put(layerPath, layer.blob());
        files.put("index.json", ("{\"schemaVersion\":2,\"manifests\":[" + entry(MediaTypes.OCI_MANIFEST,
                image.manifestDigest(), image.manifest().length, "\"io.containerd.image.name\":\"docker.io/library/new:1\"")
                + "]}").getBytes());
        files.put("manifest.json", ("[{\"Config\":\"" + config + "\",\"RepoTags\":[\"new:1\"],\"Layers\":[\"" + layerPath
                + "\"]}]").getBytes());
        files.put("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes());
        Path archive = dir.resolve("new.tar");
        Files.write(archive, TestImages.tar(files));

        PulledImage loaded = store().load(archive, PullListener.NONE).getFirst();
        assertEquals("docker.io/library/new:1", loaded.reference().canonical());
        assertEquals(layer.diffId(), loaded.layers().getFirst().diffId());
        assertTrue(Files.exists(loaded.layers().getFirst().uncompressedTar()));
    }

    @Test
    void refusesWhatIsNoImageArchive() throws Exception {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertTrue(assertThrows(ImageException.class, () -> store().load(empty, PullListener.NONE)).getMessage()
                .contains("neither manifest.json"));
        Path gz = dir.resolve("x.tar.gz");
        Files.write(gz, TestImages.gzip(TestImages.tar(Map.of("a", new byte[1]))));
        assertTrue(assertThrows(ImageException.class, () -> store.load(gz, PullListener.NONE)).getMessage()
                .contains("decompress it first"));
        assertTrue(assertThrows(ImageException.class, () -> store.load(dir.resolve("absent"), PullListener.NONE))
                .getMessage().contains("no archive"));
        Path junk = dir.resolve("junk.tar");
        Files.write(junk, new byte[1024 + 7]);
        Files.write(junk, "not a tar at all, just some text".repeat(40).getBytes());
        assertTrue(assertThrows(ImageException.class, () -> store.load(junk, PullListener.NONE)).getMessage()
                .contains("not a tar"));
    }
}
