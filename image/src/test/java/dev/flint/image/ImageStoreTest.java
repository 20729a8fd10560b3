package dev.flint.image;

import dev.flint.image.registry.Compression;
import dev.flint.image.registry.Digests;
import dev.flint.image.registry.FakeRegistry;
import dev.flint.image.registry.MediaTypes;
import dev.flint.image.registry.RegistryClient;
import dev.flint.image.registry.TestImages;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageStoreTest {
    @TempDir
    Path root;
    private FakeRegistry registry;
    private final List<ImageStore> stores = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        registry = new FakeRegistry();
    }

    @AfterEach
    void stop() {
        stores.forEach(ImageStore::close);
        registry.close();
    }

    private ImageStore store() {
        RegistrySettings settings = new RegistrySettings(Set.of(registry.host()), null, Duration.ofSeconds(5), 3);
        ImageStore store = ImageStore.open(root, settings, new RegistryClient(settings, Duration.ofMillis(5),
                Clock.systemUTC()));
        stores.add(store);
        return store;
    }

    private ImageReference ref(String repositoryAndTag) {
        return ImageReference.parse(registry.host() + "/" + repositoryAndTag);
    }

    private static TestImages.Image threeLayers() {
        return TestImages.image(List.of(TestImages.layer("etc/gz", "gzip layer", Compression.GZIP),
                TestImages.layer("etc/zst", "zstd layer", Compression.ZSTD),
                TestImages.layer("etc/plain", "plain layer", Compression.NONE)));
    }

    private static byte[] tarOf(TestImages.Layer layer) {
        return switch (Compression.sniff(layer.blob(), layer.blob().length)) {
            case NONE -> layer.blob();
            default -> null;
        };
    }

    private static List<String> files(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void pullsEveryLayerAndUnpacksGzipZstdAndPlainTars() throws Exception {
        TestImages.Image image = threeLayers();
        TestImages.serve(registry, "team/app", "v1", image);
        List<String> events = new CopyOnWriteArrayList<>();
        PulledImage pulled = store().pull(ref("team/app:v1"), PullPolicy.MISSING, new PullListener() {
            @Override
            public void layerStarted(String digest, long size) {
                events.add("start " + digest);
            }

            @Override
            public void layerProgress(String digest, long done, long size) {
            }

            @Override
            public void layerDone(String digest, boolean cached) {
                events.add("done " + digest + " " + cached);
            }
        });
        assertEquals(image.manifestDigest(), pulled.manifestDigest());
        assertArrayEquals(image.config(), pulled.configJson());
        assertEquals(3, pulled.layers().size());
        for (int i = 0; i < 3; i++) {
            TestImages.Layer layer = image.layers().get(i);
            LayerFile file = pulled.layers().get(i);
            assertEquals(layer.diffId(), file.diffId());
            assertEquals(layer.digest(), file.digest());
            assertEquals(layer.mediaType(), file.mediaType());
            assertEquals(layer.blob().length, file.compressedSize());
            assertEquals(layer.diffId(), Digests.sha256(Files.readAllBytes(file.uncompressedTar())));
            assertEquals(root.resolve("layers/sha256/" + Digests.hex(layer.diffId()) + ".tar"), file.uncompressedTar());
            assertTrue(Files.isRegularFile(root.resolve("blobs/sha256/" + Digests.hex(layer.digest()))));
            assertTrue(events.contains("done " + layer.digest() + " false"));
        }
        assertArrayEquals(tarOf(image.layers().get(2)), Files.readAllBytes(pulled.layers().get(2).uncompressedTar()));
        assertTrue(pulled.size() > 0);
        assertEquals(List.of(), files(root.resolve("tmp")));
        ImageSummary summary = store().list().getFirst();
        assertEquals(registry.host() + "/team/app:v1", summary.reference());
        assertEquals(image.manifestDigest(), summary.manifestDigest());
        assertEquals(pulled.size(), summary.size());
    }

    @Test
    void decompressesAZstdLayerMadeByTheZstdTool() throws Exception {
        byte[] blob;
        String diffId;
        try (InputStream in = getClass().getResourceAsStream("/zstd/layer.tar.zst");
             InputStream sha = getClass().getResourceAsStream("/zstd/layer.tar.sha256")) {
            blob = in.readAllBytes();
            diffId = "sha256:" + new String(sha.readAllBytes()).strip();
        }
        TestImages.Image image = TestImages.image(List.of(new TestImages.Layer(blob, diffId, MediaTypes.OCI_LAYER_ZSTD)));
        TestImages.serve(registry, "z/cli", "1", image);
        PulledImage pulled = store().pull(ref("z/cli:1"), PullPolicy.MISSING, PullListener.NONE);
        byte[] tar = Files.readAllBytes(pulled.layers().getFirst().uncompressedTar());
        assertEquals(diffId, Digests.sha256(tar));
        assertTrue(new String(tar, java.nio.charset.StandardCharsets.ISO_8859_1).contains("etc/cli.txt"));
    }

    @Test
    void missingUsesTheStoreWithoutTheNetwork() {
        TestImages.serve(registry, "team/app", "v1", threeLayers());
        ImageStore store = store();
        PulledImage first = store.pull(ref("team/app:v1"), PullPolicy.MISSING, PullListener.NONE);
        int requests = registry.total("/");
        registry.close();
        PulledImage again = store.pull(ref("team/app:v1"), PullPolicy.MISSING, PullListener.NONE);
        assertEquals(requests, registry.total("/"));
        assertEquals(first.manifestDigest(), again.manifestDigest());
        assertEquals(first.layers(), again.layers());
        assertTrue(store.find(ref("team/app:v1")).isPresent());
        assertFalse(store.list().getFirst().lastUsed().isBefore(store.list().getFirst().pulledAt()));
        assertEquals(first.manifestDigest(), store.pull(ref("team/app:v1"), PullPolicy.NEVER, PullListener.NONE)
                .manifestDigest());
    }

    @Test
    void neverSaysToPullWhenTheImageIsNotStored() {
        ImageNotFoundException e = assertThrows(ImageNotFoundException.class,
                () -> store().pull(ref("team/app:v1"), PullPolicy.NEVER, PullListener.NONE));
        assertTrue(e.getMessage().contains("pull it first"), e.getMessage());
        assertEquals(0, registry.total("/"));
    }

    @Test
    void missingPullsAgainWhenAStoredFileIsGone() throws Exception {
        TestImages.Image image = threeLayers();
        TestImages.serve(registry, "team/app", "v1", image);
        ImageStore store = store();
        PulledImage pulled = store.pull(ref("team/app:v1"), PullPolicy.MISSING, PullListener.NONE);
        Files.delete(pulled.layers().get(1).uncompressedTar());
        assertTrue(store.find(ref("team/app:v1")).isEmpty());
        store.pull(ref("team/app:v1"), PullPolicy.MISSING, PullListener.NONE);
        assertTrue(Files.exists(pulled.layers().get(1).uncompressedTar()));
        assertEquals(1, registry.blobRequests(image.layers().get(1).digest()), "the blob was still there");
    }

    @Test
    void alwaysResolvesTheManifestAgainAndDownloadsOnlyMissingBlobs() {
        TestImages.Image v1 = threeLayers();
        TestImages.serve(registry, "team/app", "v1", v1);
        ImageStore store = store();
        store.pull(ref("team/app:v1"), PullPolicy.ALWAYS, PullListener.NONE);
        store.pull(ref("team/app:v1"), PullPolicy.ALWAYS, PullListener.NONE);
        assertEquals(2, registry.count("/v2/team/app/manifests/v1"));
        v1.layers().forEach(l -> assertEquals(1, registry.blobRequests(l.digest())));

        TestImages.Layer extra = TestImages.layer("etc/new", "new", Compression.GZIP);
        List<TestImages.Layer> layers = new ArrayList<>(v1.layers());
        layers.add(extra);
        TestImages.Image v2 = TestImages.image(layers);
        TestImages.serve(registry, "team/app", "v1", v2);
        PulledImage updated = store.pull(ref("team/app:v1"), PullPolicy.ALWAYS, PullListener.NONE);
        assertEquals(v2.manifestDigest(), updated.manifestDigest());
        assertEquals(1, registry.blobRequests(extra.digest()));
        v1.layers().forEach(l -> assertEquals(1, registry.blobRequests(l.digest())));
    }

    @Test
    void anIndexResolvesToTheLinuxAmd64Image() {
        TestImages.Image amd64 = TestImages.image(List.of(TestImages.layer("a", "amd64", Compression.GZIP)));
        TestImages.Image arm64 = TestImages.image(List.of(TestImages.layer("a", "arm64", Compression.GZIP)));
        TestImages.serve(registry, "multi/arch", amd64.manifestDigest(), amd64);
        TestImages.serve(registry, "multi/arch", arm64.manifestDigest(), arm64);
        registry.addManifest("multi/arch", "1", TestImages.index(TestImages.platforms("linux/arm64/v8", arm64,
                "linux/amd64", amd64)), MediaTypes.OCI_INDEX);
        List<String> messages = new CopyOnWriteArrayList<>();
        PulledImage pulled = store().pull(ref("multi/arch:1"), PullPolicy.MISSING, new PullListener() {
            @Override
            public void layerStarted(String digest, long size) {
            }

            @Override
            public void layerProgress(String digest, long done, long size) {
            }

            @Override
            public void layerDone(String digest, boolean cached) {
            }

            @Override
            public void message(String message) {
                messages.add(message);
            }
        });
        assertEquals(amd64.manifestDigest(), pulled.manifestDigest());
        assertEquals(0, registry.blobRequests(arm64.layers().getFirst().digest()));
        assertTrue(messages.getFirst().contains("linux/amd64"), messages.toString());
        registry.addManifest("arm/only", "1", TestImages.index(TestImages.platforms("linux/arm64/v8", arm64)),
                MediaTypes.OCI_INDEX);
        NoMatchingPlatformException e = assertThrows(NoMatchingPlatformException.class,
                () -> store().pull(ref("arm/only:1"), PullPolicy.MISSING, PullListener.NONE));
        assertTrue(e.getMessage().contains("linux/arm64/v8"), e.getMessage());
    }

    @Test
    void aTamperedBlobIsRejectedAndNothingIsStored() throws Exception {
        TestImages.Image image = threeLayers();
        TestImages.serve(registry, "team/app", "v1", image);
        String tampered = image.layers().get(1).digest();
        registry.blobs.put(tampered, TestImages.zstd("not the layer".getBytes()));
        ImageStore store = store();
        assertThrows(DigestMismatchException.class,
                () -> store.pull(ref("team/app:v1"), PullPolicy.MISSING, PullListener.NONE));
        assertFalse(files(root.resolve("blobs/sha256")).contains(Digests.hex(tampered)));
        assertFalse(files(root.resolve("layers/sha256")).contains(Digests.hex(image.layers().get(1).diffId()) + ".tar"));
        assertEquals(List.of(), files(root.resolve("tmp")));
        assertTrue(store.list().isEmpty());
    }

    @Test
    void aTamperedManifestIsRejectedAndNothingIsStored() throws Exception {
        TestImages.serve(registry, "team/app", "v1", threeLayers());
        registry.announcedDigests.put("team/app:v1", "sha256:" + "2".repeat(64));
        assertThrows(DigestMismatchException.class,
                () -> store().pull(ref("team/app:v1"), PullPolicy.MISSING, PullListener.NONE));
        assertEquals(List.of(), files(root.resolve("blobs/sha256")));
        assertEquals(0, registry.total("/v2/blobs/"));
    }

    @Test
    void aLayerWhoseContentIsNotItsDiffIdIsRejected() throws Exception {
        TestImages.Layer real = TestImages.layer("etc/x", "x", Compression.GZIP);
        TestImages.Layer lying = new TestImages.Layer(real.blob(), "sha256:" + "3".repeat(64), real.mediaType());
        TestImages.serve(registry, "bad/diff", "1", TestImages.image(List.of(lying)));
        assertThrows(DigestMismatchException.class,
                () -> store().pull(ref("bad/diff:1"), PullPolicy.MISSING, PullListener.NONE));
        assertEquals(List.of(), files(root.resolve("layers/sha256")));
        assertEquals(List.of(), files(root.resolve("tmp")));
    }

    @Test
    void twoPullsAtOnceFetchEachBlobOnce() throws Exception {
        TestImages.Image image = threeLayers();
        TestImages.serve(registry, "team/app", "v1", image);
        registry.blobDelayMillis = 150;
        ImageStore a = store();
        ImageStore b = store(); // a second store on the same root, as a second process would open it
        CountDownLatch go = new CountDownLatch(1);
        try (ExecutorService threads = Executors.newFixedThreadPool(4)) {
            List<Future<PulledImage>> pulls = new ArrayList<>();
            for (ImageStore store : List.of(a, b, a, b)) {
                pulls.add(threads.submit(() -> {
                    go.await();
                    return store.pull(ref("team/app:v1"), PullPolicy.ALWAYS, PullListener.NONE);
                }));
            }
            go.countDown();
            for (Future<PulledImage> pull : pulls) {
                assertEquals(image.manifestDigest(), pull.get().manifestDigest());
            }
        }
        assertEquals(1, registry.blobRequests(image.configDigest()));
        image.layers().forEach(l -> assertEquals(1, registry.blobRequests(l.digest()), l.digest()));
    }

    @Test
    void aPullCutOffMidBlobLeavesNothingTrustedAndARetrySucceeds() throws Exception {
        TestImages.Image image = threeLayers();
        TestImages.serve(registry, "team/app", "v1", image);
        registry.dropBlobs.set(100);
        ImageStore store = store();
        assertThrows(RegistryUnreachableException.class,
                () -> store.pull(ref("team/app:v1"), PullPolicy.MISSING, PullListener.NONE));
        assertEquals(List.of(), files(root.resolve("blobs/sha256")));
        assertEquals(List.of(), files(root.resolve("layers/sha256")));
        assertEquals(List.of(), files(root.resolve("tmp")));
        assertTrue(store.find(ref("team/app:v1")).isEmpty());
        registry.dropBlobs.set(0);
        PulledImage pulled = store.pull(ref("team/app:v1"), PullPolicy.MISSING, PullListener.NONE);
        assertEquals(image.layers().getLast().diffId(), pulled.layers().getLast().diffId());
    }

    @Test
    void tempFilesAKilledPullLeftAreRemovedOnOpen() throws Exception {
        store().close();
        stores.clear();
        Path stale = root.resolve("tmp").resolve("a".repeat(64) + ".123.part");
        Files.write(stale, new byte[]{1, 2, 3});
        store();
        assertFalse(Files.exists(stale));
    }

    @Test
    void aMislabelledLayerIsReadByItsContent() throws Exception {
        TestImages.Layer plain = TestImages.layer("etc/p", "plain", Compression.NONE);
        TestImages.Layer labelledGzip = new TestImages.Layer(plain.blob(), plain.diffId(), MediaTypes.OCI_LAYER_GZIP);
        TestImages.serve(registry, "mis/label", "1", TestImages.image(List.of(labelledGzip)));
        List<String> messages = new CopyOnWriteArrayList<>();
        PulledImage pulled = store().pull(ref("mis/label:1"), PullPolicy.MISSING, new PullListener() {
            @Override
            public void layerStarted(String digest, long size) {
            }

            @Override
            public void layerProgress(String digest, long done, long size) {
            }

            @Override
            public void layerDone(String digest, boolean cached) {
            }

            @Override
            public void message(String message) {
                messages.add(message);
            }
        });
        assertArrayEquals(plain.blob(), Files.readAllBytes(pulled.layers().getFirst().uncompressedTar()));
        assertTrue(messages.stream().anyMatch(m -> m.contains("announced as GZIP")), messages.toString());
    }

    @Test
    void aNonImageLayerIsRefused() {
        TestImages.Layer layer = TestImages.layer("x", "y", Compression.GZIP);
        TestImages.serve(registry, "helm/chart", "1", TestImages.image(List.of(new TestImages.Layer(layer.blob(),
                layer.diffId(), "application/vnd.cncf.helm.chart.content.v1.tar+gzip"))));
        ImageException e = assertThrows(ImageException.class,
                () -> store().pull(ref("helm/chart:1"), PullPolicy.MISSING, PullListener.NONE));
        assertTrue(e.getMessage().contains("not a container image layer"), e.getMessage());
    }

    @Test
    void removeDropsTheNameAndPruneFreesWhatNoNameNeeds() throws Exception {
        TestImages.Layer shared = TestImages.layer("etc/shared", "shared", Compression.GZIP);
        TestImages.Layer onlyA = TestImages.layer("etc/a", "a", Compression.ZSTD);
        TestImages.Layer onlyB = TestImages.layer("etc/b", "b", Compression.NONE);
        TestImages.Image a = TestImages.image(List.of(shared, onlyA));
        TestImages.Image b = TestImages.image(List.of(shared, onlyB));
        TestImages.serve(registry, "x/a", "1", a);
        TestImages.serve(registry, "x/b", "1", b);
        ImageStore store = store();
        store.pull(ref("x/a:1"), PullPolicy.MISSING, PullListener.NONE);
        PulledImage pulledB = store.pull(ref("x/b:1"), PullPolicy.MISSING, PullListener.NONE);
        assertEquals(new PruneResult(0, 0), store.prune());

        assertFalse(store.remove(registry.host() + "/x/none:1"));
        assertTrue(store.remove(registry.host() + "/x/a:1"));
        assertEquals(1, store.list().size());
        PruneResult pruned = store.prune();
        // a's manifest, config, zstd blob and its uncompressed tar
        assertEquals(4, pruned.blobsRemoved());
        assertTrue(pruned.bytesFreed() > 0);
        assertEquals(pulledB.layers(), store.find(ref("x/b:1")).orElseThrow().layers());
        assertTrue(Files.exists(root.resolve("blobs/sha256/" + Digests.hex(shared.digest()))));

        assertTrue(store.remove(registry.host() + "/x/b:1"));
        store.prune();
        assertEquals(List.of(), files(root.resolve("blobs/sha256")));
        assertEquals(List.of(), files(root.resolve("layers/sha256")));
    }

    @Test
    void aFullDiskBecomesImageStoreFullAndTheTempFileIsRemoved() throws Exception {
        dev.flint.image.store.BlobStore blobs = new dev.flint.image.store.BlobStore(root);
        String digest = "sha256:" + "4".repeat(64);
        ImageStoreFullException e = assertThrows(ImageStoreFullException.class, () -> blobs.ensureBlob(digest, temp -> {
            try {
                Files.write(temp, new byte[100]);
                throw new IOException("No space left on device");
            } catch (IOException io) {
                throw dev.flint.image.store.StoreWrites.failure("write blob " + digest, temp, io);
            }
        }));
        assertTrue(e.getMessage().contains("prune"), e.getMessage());
        assertEquals(List.of(), files(root.resolve("tmp")));
        assertFalse(blobs.hasBlob(digest));
    }

    @Test
    void theJdksEnospcMessageIsRecognized() {
        Path full = Path.of("/dev/full");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isWritable(full), "needs /dev/full");
        IOException e = assertThrows(IOException.class, () -> {
            try (var out = Files.newOutputStream(full)) {
                out.write(new byte[4096]);
                out.flush();
            }
        });
        assertTrue(dev.flint.image.store.StoreWrites.isNoSpace(e), e.toString());
    }
}
