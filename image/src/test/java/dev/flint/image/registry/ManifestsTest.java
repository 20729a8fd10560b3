package dev.flint.image.registry;

import dev.flint.image.ImageException;
import dev.flint.image.NoMatchingPlatformException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ManifestsTest {
    private static final TestImages.Image AMD64 = TestImages.image(List.of(
            TestImages.layer("a", "amd64", Compression.GZIP)));
    private static final TestImages.Image ARM64 = TestImages.image(List.of(
            TestImages.layer("a", "arm64", Compression.GZIP)));

    @Test
    void acceptsEveryManifestType() {
        String accept = MediaTypes.manifestAccept();
        for (String type : List.of(MediaTypes.OCI_INDEX, MediaTypes.OCI_MANIFEST, MediaTypes.DOCKER_LIST,
                MediaTypes.DOCKER_MANIFEST)) {
            assertTrue(accept.contains(type), type);
        }
    }

    @Test
    void tellsIndexesFromManifests() {
        assertTrue(MediaTypes.isIndex(MediaTypes.DOCKER_LIST));
        assertTrue(MediaTypes.isIndex(MediaTypes.OCI_INDEX + "; charset=utf-8"));
        assertTrue(MediaTypes.isManifest(MediaTypes.DOCKER_MANIFEST));
        assertFalse(MediaTypes.isManifest(MediaTypes.OCI_INDEX));
        assertTrue(MediaTypes.isSchema1(MediaTypes.DOCKER_SCHEMA1_SIGNED));
    }

    @Test
    void layerMediaTypesAnnounceTheirCompression() {
        assertEquals(Compression.NONE, MediaTypes.layerCompression(MediaTypes.OCI_LAYER).orElseThrow());
        assertEquals(Compression.GZIP, MediaTypes.layerCompression(MediaTypes.OCI_LAYER_GZIP).orElseThrow());
        assertEquals(Compression.GZIP, MediaTypes.layerCompression(MediaTypes.DOCKER_LAYER_GZIP).orElseThrow());
        assertEquals(Compression.ZSTD, MediaTypes.layerCompression(MediaTypes.OCI_LAYER_ZSTD).orElseThrow());
        assertTrue(MediaTypes.layerCompression("application/vnd.cncf.helm.chart.content.v1.tar+gzip").isEmpty());
    }

    @Test
    void sniffsCompressionFromMagicBytes() {
        byte[] tar = TestImages.tar(Map.of("f", new byte[3]));
        assertEquals(Compression.NONE, Compression.sniff(tar, tar.length));
        byte[] gz = TestImages.gzip(tar);
        assertEquals(Compression.GZIP, Compression.sniff(gz, gz.length));
        byte[] zs = TestImages.zstd(tar);
        assertEquals(Compression.ZSTD, Compression.sniff(zs, zs.length));
        assertEquals(Compression.NONE, Compression.sniff(new byte[0], 0));
    }

    @Test
    void infersTheMediaTypeWhenTheDocumentHasNone() {
        byte[] index = "{\"schemaVersion\":2,\"manifests\":[]}".getBytes(StandardCharsets.UTF_8);
        assertEquals(MediaTypes.OCI_INDEX, Manifests.mediaTypeOf(index, "application/json"));
        assertEquals(MediaTypes.DOCKER_LIST, Manifests.mediaTypeOf(index, MediaTypes.DOCKER_LIST));
        assertEquals(MediaTypes.OCI_MANIFEST, Manifests.mediaTypeOf(AMD64.manifest(), ""));
        assertThrows(ImageException.class, () -> Manifests.mediaTypeOf("{}".getBytes(), ""));
        assertThrows(ImageException.class, () -> Manifests.mediaTypeOf("not json".getBytes(), ""));
    }

    @Test
    void choosesLinuxAmd64IgnoringTheVariant() {
        byte[] index = TestImages.index(TestImages.platforms("linux/arm64/v8", ARM64, "linux/amd64/v3", AMD64));
        Descriptor chosen = Manifests.choosePlatform(Manifests.indexEntries(index), Platform.LINUX_AMD64, "x");
        assertEquals(AMD64.manifestDigest(), chosen.digest());
        assertEquals("linux/amd64/v3", chosen.platform().toString());
    }

    @Test
    void anIndexWithoutLinuxAmd64ListsWhatItHas() {
        byte[] index = TestImages.index(TestImages.platforms("linux/arm64/v8", ARM64, "windows/amd64", AMD64,
                "unknown/unknown", AMD64));
        NoMatchingPlatformException e = assertThrows(NoMatchingPlatformException.class,
                () -> Manifests.choosePlatform(Manifests.indexEntries(index), Platform.LINUX_AMD64, "ghcr.io/x:1"));
        assertTrue(e.getMessage().contains("linux/arm64/v8, windows/amd64"), e.getMessage());
        assertFalse(e.getMessage().contains("unknown/unknown"), e.getMessage());
    }

    @Test
    void readsAManifestAndTheConfigsDiffIds() {
        ImageManifest manifest = Manifests.manifest(AMD64.manifest(), MediaTypes.OCI_MANIFEST);
        assertEquals(AMD64.configDigest(), manifest.config().digest());
        assertEquals(1, manifest.layers().size());
        assertEquals(AMD64.layers().getFirst().digest(), manifest.layers().getFirst().digest());
        assertEquals(List.of(AMD64.layers().getFirst().diffId()), Manifests.diffIds(AMD64.config()));
    }

    @Test
    void rejectsSchema1AndNonSha256Digests() {
        assertTrue(assertThrows(ImageException.class, () -> Manifests.manifest("{}".getBytes(),
                MediaTypes.DOCKER_SCHEMA1)).getMessage().contains("schema 1"));
        byte[] sha512 = ("{\"config\":{\"digest\":\"sha512:ab\",\"size\":1},\"layers\":[]}").getBytes();
        assertTrue(assertThrows(ImageException.class, () -> Manifests.manifest(sha512, MediaTypes.OCI_MANIFEST))
                .getMessage().contains("sha256"));
    }
}
