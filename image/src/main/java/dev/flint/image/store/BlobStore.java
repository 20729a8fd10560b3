package dev.flint.image.store;

import dev.flint.image.DigestMismatchException;
import dev.flint.image.ImageException;
import dev.flint.image.registry.Compression;
import dev.flint.image.registry.Digests;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Set;
import java.util.function.Consumer;
import java.util.zip.GZIPInputStream;

import io.airlift.compress.zstd.ZstdInputStream;

/**
 * The content-addressed files under the store's root: {@code blobs/sha256/<hex>} as distributed
 * (verified) and {@code layers/sha256/<diffIdHex>.tar}, each layer uncompressed so its files can be
 * served by offset. A file under those names is complete and verified: every write goes through
 * {@code tmp/} ({@link StoreWrites}), and each name has one writer at a time ({@link BlobLocks}).
 */
public final class BlobStore {
    private final Path blobs;
    private final Path layers;
    private final Path tmp;
    private final BlobLocks locks;

    /** Something that fills a temp file with a blob and verifies it (throwing when it does not match). */
    @FunctionalInterface
    public interface BlobWriter {
        void writeTo(Path temp);
    }

    /** Opens (or makes) the layout under {@code root} and removes temp files a killed writer left. */
    public BlobStore(Path root) {
        blobs = root.resolve("blobs").resolve("sha256");
        layers = root.resolve("layers").resolve("sha256");
        tmp = root.resolve("tmp");
        Path lockDir = root.resolve("locks");
        try {
            Files.createDirectories(blobs);
            Files.createDirectories(layers);
            Files.createDirectories(tmp);
            Files.createDirectories(lockDir);
        } catch (IOException e) {
            throw new ImageException("cannot make the image store under " + root + ": " + e.getMessage()
                    + "; check that it is writable (FLINT_HOME picks another place)", e);
        }
        locks = new BlobLocks(lockDir);
        removeStaleTemps();
    }

    /**
     * Deletes temp files no live writer holds: each writer holds its name's lock while its temp file
     * exists, so a temp file whose lock is free belongs to a killed writer.
     */
    private void removeStaleTemps() {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(tmp)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                int dot = name.indexOf('.');
                String lockName = dot < 0 ? name : name.substring(0, dot);
                // A held lock means a live writer (another process, or a store opened earlier): keep its file.
                locks.ifFree(lockName, () -> StoreWrites.deleteQuietly(file));
            }
        } catch (IOException e) {
            throw new ImageException("cannot clean " + tmp + ": " + e.getMessage(), e);
        }
    }

    public Path blobPath(String digest) {
        return blobs.resolve(Digests.hex(digest));
    }

    public Path layerPath(String diffId) {
        return layers.resolve(Digests.hex(diffId) + ".tar");
    }

    public boolean hasBlob(String digest) {
        return Files.isRegularFile(blobPath(digest));
    }

    public boolean hasLayer(String diffId) {
        return Files.isRegularFile(layerPath(diffId));
    }

    public byte[] readBlob(String digest) {
        try {
            return Files.readAllBytes(blobPath(digest));
        } catch (IOException e) {
            throw new ImageException("cannot read blob " + digest + " from the image store: " + e.getMessage()
                    + "; pull the image again", e);
        }
    }

    /**
     * Makes sure blob {@code digest} is stored, writing it with {@code writer} unless it already is
     * (checked again under its lock, so concurrent callers write it once).
     *
     * @return whether this call wrote it
     */
    public boolean ensureBlob(String digest, BlobWriter writer) {
        String hex = Digests.hex(digest);
        if (hasBlob(digest)) {
            return false;
        }
        return locks.withLock(hex, () -> {
            if (hasBlob(digest)) {
                return false;
            }
            Path temp = tempFile(hex);
            try {
                writer.writeTo(temp);
                StoreWrites.commit(temp, blobPath(digest));
                return true;
            } finally {
                StoreWrites.deleteQuietly(temp);
            }
        });
    }

    /** Stores {@code bytes} as blob {@code digest}, after checking that they are. */
    public void putBytes(String digest, byte[] bytes) {
        String actual = Digests.sha256(bytes);
        if (!actual.equals(digest)) {
            throw new DigestMismatchException("content announced as " + digest + " has sha256 " + actual
                    + "; it was not stored: the source is corrupt");
        }
        ensureBlob(digest, temp -> {
            try (OutputStream out = StoreWrites.output(temp)) {
                out.write(bytes);
            } catch (IOException e) {
                throw StoreWrites.failure("write blob " + digest, temp, e);
            }
        });
    }

    /**
     * Stores the stream's content as a blob, verifying it against {@code expected} when given.
     *
     * @return its digest
     */
    public String importBlob(InputStream content, String expected, String what) {
        String name = "import-" + java.util.UUID.randomUUID();
        try {
            return locks.withLock(name, () -> importUnderLock(name, content, expected, what));
        } finally {
            StoreWrites.deleteQuietly(locks.file(name));
            locks.forget(name);
        }
    }

    private String importUnderLock(String name, InputStream content, String expected, String what) {
        Path temp = tempFile(name);
        try {
            MessageDigest sha = Digests.newSha256();
            try (InputStream in = content; OutputStream out = StoreWrites.output(temp)) {
                byte[] buffer = new byte[64 * 1024];
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    sha.update(buffer, 0, n);
                    out.write(buffer, 0, n);
                }
            } catch (IOException e) {
                throw StoreWrites.failure("store " + what, temp, e);
            }
            String digest = Digests.of(sha.digest());
            if (expected != null && !expected.equals(digest)) {
                throw new DigestMismatchException(what + " has sha256 " + digest + " but is named " + expected
                        + "; it was not stored: the archive or layout is corrupt");
            }
            ensureBlob(digest, target -> {
                try {
                    Files.move(temp, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                } catch (IOException e) {
                    throw StoreWrites.failure("store " + what, temp, e);
                }
            });
            return digest;
        } finally {
            StoreWrites.deleteQuietly(temp);
        }
    }

    /**
     * Makes sure layer {@code diffId} is stored uncompressed, from blob {@code blobDigest}. The
     * compression is the one the blob's first bytes show ({@code announced}, from the media type, is
     * only a cross-check: a mismatch is reported to {@code notice}). The result must hash to
     * {@code diffId}.
     *
     * @return whether this call wrote it
     */
    public boolean ensureLayer(String diffId, String blobDigest, Compression announced, Consumer<String> notice) {
        String hex = Digests.hex(diffId);
        if (hasLayer(diffId)) {
            return false;
        }
        return locks.withLock("layer-" + hex, () -> {
            if (hasLayer(diffId)) {
                return false;
            }
            Path blob = blobPath(blobDigest);
            try (InputStream raw = new BufferedInputStream(Files.newInputStream(blob), 64 * 1024)) {
                raw.mark(4);
                byte[] head = raw.readNBytes(4);
                raw.reset();
                Compression actual = Compression.sniff(head, head.length);
                if (actual != announced) {
                    notice.accept("layer " + blobDigest + " is announced as " + announced + " but its content is "
                            + actual + "; reading it as " + actual);
                }
                if (actual == Compression.NONE && blobDigest.equals(diffId) && link(blob, layerPath(diffId))) {
                    return true;
                }
                Path temp = tempFile("layer-" + hex);
                try {
                    MessageDigest sha = Digests.newSha256();
                    try (InputStream in = decompressing(raw, actual); OutputStream out = StoreWrites.output(temp)) {
                        byte[] buffer = new byte[64 * 1024];
                        for (int n; (n = readLayer(in, buffer, blobDigest)) >= 0; ) {
                            sha.update(buffer, 0, n);
                            out.write(buffer, 0, n);
                        }
                    } catch (IOException e) {
                        throw StoreWrites.failure("write the uncompressed layer " + diffId, temp, e);
                    }
                    String computed = Digests.of(sha.digest());
                    if (!computed.equals(diffId)) {
                        throw new DigestMismatchException("layer " + blobDigest + " uncompresses to sha256 " + computed
                                + " but the image config says " + diffId + "; the image is corrupt, rebuild or re-push it");
                    }
                    StoreWrites.commit(temp, layerPath(diffId));
                    return true;
                } finally {
                    StoreWrites.deleteQuietly(temp);
                }
            } catch (IOException e) {
                throw new ImageException("cannot read blob " + blobDigest + " from the store: " + e.getMessage()
                        + "; pull the image again", e);
            }
        });
    }

    private static int readLayer(InputStream in, byte[] buffer, String blobDigest) {
        try {
            return in.read(buffer);
        } catch (IOException | UncheckedIOException | IllegalArgumentException e) {
            throw new ImageException("layer " + blobDigest + " does not decompress (" + e.getMessage() + "); the"
                    + " image is corrupt, rebuild or re-push it", e);
        } catch (RuntimeException e) {
            throw new ImageException("layer " + blobDigest + " does not decompress (" + e + "); the image is"
                    + " corrupt, rebuild or re-push it", e);
        }
    }

    private static InputStream decompressing(InputStream raw, Compression compression) throws IOException {
        return switch (compression) {
            case NONE -> raw;
            case GZIP -> new GZIPInputStream(raw, 64 * 1024);
            case ZSTD -> new ZstdInputStream(raw);
        };
    }

    /** Hard-links a plain tar blob as its layer (same bytes, no copy); false when links are not possible. */
    private static boolean link(Path blob, Path layer) {
        try {
            Files.createLink(layer, blob);
            return true;
        } catch (FileAlreadyExistsException e) {
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    private Path tempFile(String prefix) {
        try {
            return Files.createTempFile(tmp, prefix + ".", ".part");
        } catch (IOException e) {
            throw StoreWrites.failure("make a temp file", tmp.resolve(prefix + ".part"), e);
        }
    }

    /**
     * Deletes every blob and layer not in {@code neededBlobs} / {@code neededLayers} (hex digests).
     *
     * @return {files removed, bytes freed}
     */
    public long[] removeAllExcept(Set<String> neededBlobs, Set<String> neededLayers) {
        long[] result = new long[2];
        sweep(blobs, name -> neededBlobs.contains(name), result);
        sweep(layers, name -> name.endsWith(".tar") && neededLayers.contains(name.substring(0, name.length() - 4)),
                result);
        return result;
    }

    private static void sweep(Path directory, java.util.function.Predicate<String> keep, long[] result) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory)) {
            for (Path file : files) {
                if (keep.test(file.getFileName().toString())) {
                    continue;
                }
                long size = Files.size(file);
                long links = linkCount(file);
                Files.delete(file);
                result[0]++;
                result[1] += links > 1 ? 0 : size;
            }
        } catch (IOException e) {
            throw new ImageException("cannot prune " + directory + ": " + e.getMessage()
                    + "; check the store's permissions", e);
        }
    }

    private static long linkCount(Path file) {
        try {
            return ((Number) Files.getAttribute(file, "unix:nlink")).longValue();
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return 1;
        }
    }

    /** Bytes of {@code file}, 0 when it is gone. */
    public static long sizeOf(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return 0;
        }
    }
}
