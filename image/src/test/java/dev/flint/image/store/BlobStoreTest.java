package dev.flint.image.store;

import dev.flint.image.DigestMismatchException;
import dev.flint.image.registry.Digests;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BlobStoreTest {
    @TempDir
    Path root;

    @Test
    void openingKeepsTheTempFileOfALiveWriterAndRemovesADeadOnes() throws Exception {
        new BlobStore(root);
        String live = "b".repeat(64);
        Path liveTemp = root.resolve("tmp").resolve(live + ".1.part");
        Path deadTemp = root.resolve("tmp").resolve("c".repeat(64) + ".2.part");
        Files.write(liveTemp, new byte[1]);
        Files.write(deadTemp, new byte[1]);
        new BlobLocks(root.resolve("locks")).withLock(live, () -> {
            // Opened from another thread, as another writer would: the held lock marks the file live.
            CompletableFuture.runAsync(() -> new BlobStore(root)).join();
            return null;
        });
        assertTrue(Files.exists(liveTemp));
        assertFalse(Files.exists(deadTemp));
    }

    @Test
    void putBytesVerifiesTheDigest() {
        BlobStore store = new BlobStore(root);
        byte[] content = "content".getBytes();
        assertThrows(DigestMismatchException.class, () -> store.putBytes("sha256:" + "d".repeat(64), content));
        store.putBytes(Digests.sha256(content), content);
        assertArrayEquals(content, store.readBlob(Digests.sha256(content)));
    }

    @Test
    void importBlobStoresOnceAndChecksTheExpectedDigest() throws Exception {
        BlobStore store = new BlobStore(root);
        byte[] content = "imported".getBytes();
        String digest = store.importBlob(new ByteArrayInputStream(content), null, "test blob");
        assertEquals(Digests.sha256(content), digest);
        assertEquals(digest, store.importBlob(new ByteArrayInputStream(content), digest, "test blob"));
        assertThrows(DigestMismatchException.class, () -> store.importBlob(new ByteArrayInputStream(content),
                "sha256:" + "e".repeat(64), "test blob"));
        try (var files = Files.list(root.resolve("tmp"))) {
            assertEquals(0, files.count());
        }
        try (var files = Files.list(root.resolve("blobs/sha256"))) {
            assertEquals(1, files.count());
        }
    }

    @Test
    void normalizesTarPaths() {
        assertEquals("a/c", TarSource.normalize("./a/./b/../c/"));
        assertEquals("blobs/sha256/x", TarSource.normalize("/blobs//sha256/x"));
    }
}
