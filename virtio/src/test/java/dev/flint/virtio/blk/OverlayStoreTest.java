package dev.flint.virtio.blk;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Random;

import static dev.flint.virtio.blk.OverlayStore.CLUSTER;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The copy-on-write layer: where reads come from, what writes copy, what survives a reopen or a crash. */
class OverlayStoreTest {
    /** Five whole clusters and a partial one, so the last cluster is shorter than the rest. */
    private static final int SIZE = 5 * CLUSTER + 3 * 512;

    @TempDir
    Path dir;

    private Path base() throws IOException {
        byte[] bytes = new byte[SIZE];
        new Random(7).nextBytes(bytes);
        return Files.write(dir.resolve("base.img"), bytes);
    }

    private static byte[] read(BlockStore store, long offset, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        store.read(offset, buffer);
        assertEquals(0, buffer.remaining());
        return buffer.array();
    }

    private static void write(BlockStore store, long offset, byte[] data, byte[] model) throws IOException {
        store.write(offset, ByteBuffer.wrap(data));
        System.arraycopy(data, 0, model, (int) offset, data.length);
    }

    private static byte[] filled(int length, int value) {
        byte[] data = new byte[length];
        Arrays.fill(data, (byte) value);
        return data;
    }

    private static byte[] sha256(Path file) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
    }

    @Test
    void untouchedClustersReadFromTheBase() throws Exception {
        Path base = base();
        byte[] expected = Files.readAllBytes(base);
        try (OverlayStore store = OverlayStore.create(base, dir.resolve("fork.ovl"))) {
            assertEquals(SIZE, store.capacity());
            assertEquals(base.toAbsolutePath(), store.base());
            assertArrayEquals(expected, read(store, 0, SIZE));
            assertArrayEquals(Arrays.copyOfRange(expected, CLUSTER - 7, 2 * CLUSTER + 9), read(store, CLUSTER - 7, CLUSTER + 16));
            assertEquals(0, store.allocatedClusters());
        }
    }

    /** A request's buffers, as the guest sends them: cut at other places than the clusters are. */
    private static ByteBuffer[] cut(byte[] bytes, int... lengths) {
        ByteBuffer[] buffers = new ByteBuffer[lengths.length + 1];
        int at = 0;
        for (int i = 0; i < lengths.length; i++) {
            buffers[i] = ByteBuffer.wrap(bytes, at, lengths[i]).slice();
            at += lengths[i];
        }
        buffers[lengths.length] = ByteBuffer.wrap(bytes, at, bytes.length - at).slice();
        return buffers;
    }

    @Test
    void aGatherWriteAndAScatterReadAcrossBothLayersMatchTheModel() throws Exception {
        Path base = base();
        byte[] model = Files.readAllBytes(base);
        try (OverlayStore store = OverlayStore.create(base, dir.resolve("fork.ovl"))) {
            byte[] data = new byte[CLUSTER + 4096];
            new Random(11).nextBytes(data);
            store.write(2 * CLUSTER - 2048, cut(data, 512, 0, 3000, CLUSTER));
            System.arraycopy(data, 0, model, 2 * CLUSTER - 2048, data.length);
            assertEquals(3, store.allocatedClusters(), "the write's two end clusters and the one between");
            byte[] back = new byte[4 * CLUSTER];
            ByteBuffer[] into = cut(back, 100, CLUSTER, 7, 2 * CLUSTER + 5000);
            store.read(CLUSTER / 2, into);
            assertTrue(Arrays.stream(into).noneMatch(ByteBuffer::hasRemaining), "every buffer was filled");
            assertArrayEquals(Arrays.copyOfRange(model, CLUSTER / 2, CLUSTER / 2 + back.length), back,
                    "base, overlay and base again, in the buffers' order");
        }
    }

    @Test
    void aPartialWriteCopiesTheRestOfItsClusterFromTheBase() throws Exception {
        Path base = base();
        byte[] model = Files.readAllBytes(base);
        try (OverlayStore store = OverlayStore.create(base, dir.resolve("fork.ovl"))) {
            write(store, CLUSTER + 1024, filled(512, 0x5a), model);
            assertEquals(1, store.allocatedClusters());
            assertArrayEquals(model, read(store, 0, SIZE));
            write(store, CLUSTER + 4096, filled(100, 0x33), model);
            assertEquals(1, store.allocatedClusters(), "a second write to the cluster copies nothing again");
            assertArrayEquals(model, read(store, 0, SIZE));
        }
    }

    @Test
    void wholeClusterWritesAndTheShortLastCluster() throws Exception {
        Path base = base();
        byte[] model = Files.readAllBytes(base);
        try (OverlayStore store = OverlayStore.create(base, dir.resolve("fork.ovl"))) {
            write(store, 2L * CLUSTER, filled(CLUSTER, 0x11), model);
            write(store, SIZE - 512, filled(512, 0x22), model);
            assertEquals(2, store.allocatedClusters());
            assertArrayEquals(model, read(store, 0, SIZE));
        }
    }

    @Test
    void aWriteAcrossClusterBoundariesCopiesOnlyItsPartialEnds() throws Exception {
        Path base = base();
        byte[] model = Files.readAllBytes(base);
        try (OverlayStore store = OverlayStore.create(base, dir.resolve("fork.ovl"))) {
            // Ends 1000 bytes into cluster 0 from the end and 1000 bytes into cluster 3: two whole ones between.
            write(store, CLUSTER - 1000, filled(2 * CLUSTER + 2000, 0x77), model);
            assertEquals(4, store.allocatedClusters());
            assertArrayEquals(model, read(store, 0, SIZE));
        }
    }

    @Test
    void randomWritesMatchAModelAcrossReopens() throws Exception {
        Path base = base();
        Path overlay = dir.resolve("fork.ovl");
        byte[] model = Files.readAllBytes(base);
        Random random = new Random(42);
        OverlayStore.create(base, overlay).close();
        for (int round = 0; round < 4; round++) {
            try (OverlayStore store = OverlayStore.open(overlay)) {
                assertArrayEquals(model, read(store, 0, SIZE), "round " + round);
                for (int i = 0; i < 20; i++) {
                    int offset = random.nextInt(SIZE);
                    byte[] data = new byte[random.nextInt(Math.min(SIZE - offset, 3 * CLUSTER)) + 1];
                    random.nextBytes(data);
                    write(store, offset, data, model);
                    int at = random.nextInt(SIZE);
                    int length = random.nextInt(SIZE - at) + 1;
                    assertArrayEquals(Arrays.copyOfRange(model, at, at + length), read(store, at, length));
                }
            }
        }
    }

    @Test
    void writesSurviveAReopenThroughThePersistedMap() throws Exception {
        Path base = base();
        Path overlay = dir.resolve("fork.ovl");
        byte[] model = Files.readAllBytes(base);
        try (OverlayStore store = OverlayStore.create(base, overlay)) {
            write(store, 3L * CLUSTER + 512, filled(1024, 0x44), model);
        }
        try (OverlayStore store = OverlayStore.open(overlay)) {
            assertEquals(1, store.allocatedClusters());
            assertArrayEquals(model, read(store, 0, SIZE));
        }
    }

    @Test
    void aHostCrashKeepsWhatWasFlushedAndNoHalfOfTheRest() throws Exception {
        Path base = base();
        Path overlay = dir.resolve("fork.ovl");
        byte[] flushed = Files.readAllBytes(base);
        byte[] original = flushed.clone();
        try (OverlayStore store = OverlayStore.create(base, overlay)) {
            write(store, 100, filled(CLUSTER, 0x66), flushed);
            store.flush();
            store.write(4L * CLUSTER + 8, ByteBuffer.wrap(filled(512, 0x99)));
            // The file as a crash right now would leave it: data of the last write, but not its map bit.
            Path crashed = Files.copy(overlay, dir.resolve("crashed.ovl"), StandardCopyOption.REPLACE_EXISTING);
            try (OverlayStore after = OverlayStore.open(crashed)) {
                assertEquals(2, after.allocatedClusters());
                assertArrayEquals(flushed, read(after, 0, SIZE), "the flushed write, and the base where it was not");
                assertEquals(original[4 * CLUSTER + 8], read(after, 4L * CLUSTER + 8, 1)[0]);
            }
        }
    }

    @Test
    void twoOverlaysOverOneBaseAreIndependentAndTheBaseNeverChanges() throws Exception {
        Path base = base();
        byte[] hash = sha256(base);
        FileTime mtime = Files.getLastModifiedTime(base);
        byte[] a = Files.readAllBytes(base);
        byte[] b = a.clone();
        try (OverlayStore left = OverlayStore.create(base, dir.resolve("a.ovl"));
             OverlayStore right = OverlayStore.create(base, dir.resolve("b.ovl"))) {
            write(left, 0, filled(SIZE, 0x01), a);
            write(right, CLUSTER / 2, filled(CLUSTER, 0x02), b);
            left.flush();
            right.flush();
            assertArrayEquals(a, read(left, 0, SIZE));
            assertArrayEquals(b, read(right, 0, SIZE));
        }
        assertArrayEquals(hash, sha256(base), "the base is never written");
        assertEquals(mtime, Files.getLastModifiedTime(base));
    }

    @Test
    void anOverlayOverAFrozenOverlayReadsThroughTheChain() throws Exception {
        Path base = base();
        byte[] lower = Files.readAllBytes(base);
        Path frozen = dir.resolve("frozen.ovl");
        try (OverlayStore store = OverlayStore.create(base, frozen)) {
            write(store, CLUSTER + 10, filled(700, 0x31), lower);
        }
        byte[] frozenBytes = Files.readAllBytes(frozen);
        byte[] top = lower.clone();
        try (OverlayStore store = OverlayStore.create(frozen, dir.resolve("top.ovl"))) {
            assertEquals(2, store.chainLength());
            assertEquals(SIZE, store.capacity());
            assertArrayEquals(lower, read(store, 0, SIZE), "the frozen layer's writes over the raw base");
            write(store, CLUSTER + 500, filled(CLUSTER, 0x32), top);
            assertArrayEquals(top, read(store, 0, SIZE));
        }
        assertArrayEquals(frozenBytes, Files.readAllBytes(frozen), "a frozen layer is never written");
        try (BlockStore layer = OverlayStore.openLayer(frozen)) {
            assertArrayEquals(lower, read(layer, 0, SIZE));
            assertTrue(assertThrows(IOException.class, () -> layer.write(0, ByteBuffer.allocate(512))).getMessage()
                    .contains("frozen layer"));
        }
        try (OverlayStore reopened = OverlayStore.open(dir.resolve("top.ovl"))) {
            assertArrayEquals(top, read(reopened, 0, SIZE));
        }
        assertEquals(frozen.toAbsolutePath(), OverlayStore.baseOf(dir.resolve("top.ovl")));
    }

    @Test
    void aChainLongerThanTheLimitIsRefused() throws Exception {
        Path below = base();
        for (int layer = 1; layer < OverlayStore.MAX_DEPTH; layer++) {
            Path next = dir.resolve("layer" + layer + OverlayStore.SUFFIX);
            OverlayStore.create(below, next).close();
            below = next;
        }
        try (OverlayStore top = OverlayStore.open(below)) {
            assertEquals(OverlayStore.MAX_DEPTH - 1, top.chainLength());
        }
        Path last = dir.resolve("last.ovl");
        OverlayStore.create(below, last).close();   // the 16th layer: the most a chain holds
        assertTrue(assertThrows(IOException.class, () -> OverlayStore.create(last, dir.resolve("beyond.ovl")))
                .getMessage().contains("at most " + OverlayStore.MAX_DEPTH));
        try (BlockStore whole = OverlayStore.openLayer(last)) {
            assertEquals(Files.size(dir.resolve("base.img")), whole.capacity(), "read on its own, it opens");
        }
    }

    @Test
    void aRawImageIsNeverReadAsAnOverlayWhateverItHolds() throws Exception {
        Path base = base();
        Path overlay = dir.resolve("fork.ovl");
        OverlayStore.create(base, overlay).close();
        Path forged = Files.copy(overlay, dir.resolve("forged.img"));   // a guest's raw disk that ends in a header
        try (OverlayStore store = OverlayStore.create(forged, dir.resolve("over-forged.ovl"))) {
            assertEquals(1, store.chainLength());
            assertArrayEquals(Files.readAllBytes(forged), read(store, 0, (int) Files.size(forged)));
        }
    }

    @Test
    void aBaseThatChangedIsRefused() throws Exception {
        Path base = base();
        Path overlay = dir.resolve("fork.ovl");
        OverlayStore.create(base, overlay).close();
        FileTime mtime = Files.getLastModifiedTime(base);

        try (RandomAccessFile file = new RandomAccessFile(base.toFile(), "rw")) {
            file.seek(10);
            file.write(0xff ^ Files.readAllBytes(base)[10]);
        }
        Files.setLastModifiedTime(base, mtime);
        assertTrue(assertThrows(IOException.class, () -> OverlayStore.open(overlay)).getMessage()
                .contains("changed since overlay " + overlay + " was made over it (its first or last MiB differ)"));

        Files.setLastModifiedTime(base, FileTime.fromMillis(mtime.toMillis() + 5000));
        assertTrue(assertThrows(IOException.class, () -> OverlayStore.open(overlay)).getMessage()
                .contains("(it was modified)"));

        try (RandomAccessFile file = new RandomAccessFile(base.toFile(), "rw")) {
            file.setLength(SIZE + 512);
        }
        assertTrue(assertThrows(IOException.class, () -> OverlayStore.open(overlay)).getMessage()
                .contains("its size went from " + SIZE + " to " + (SIZE + 512)));

        Files.delete(base);
        assertTrue(assertThrows(IOException.class, () -> OverlayStore.open(overlay)).getMessage().contains("is missing"));
    }

    @Test
    void brokenOverlaysAndASecondWriterAreRefused() throws Exception {
        Path base = base();
        Path overlay = dir.resolve("fork.ovl");
        try (OverlayStore store = OverlayStore.create(base, overlay)) {
            assertTrue(assertThrows(IOException.class, () -> OverlayStore.open(overlay)).getMessage().contains("in use"));
        }
        byte[] good = Files.readAllBytes(overlay);
        assertThrows(java.nio.file.FileAlreadyExistsException.class, () -> OverlayStore.create(base, overlay));
        assertArrayEquals(good, Files.readAllBytes(overlay), "an existing file is left as it was");

        Path truncated = Files.write(dir.resolve("truncated.ovl"), Arrays.copyOf(good, good.length - 4096));
        assertTrue(assertThrows(IOException.class, () -> OverlayStore.open(truncated)).getMessage()
                .contains("not a valid Flint overlay"));
        byte[] flipped = good.clone();
        flipped[good.length - 4096 + 20] ^= 1;
        Path corrupt = Files.write(dir.resolve("corrupt.ovl"), flipped);
        assertTrue(assertThrows(IOException.class, () -> OverlayStore.open(corrupt)).getMessage()
                .contains("checksum"));
        Path appended = Files.write(dir.resolve("appended.ovl"), concat(new byte[CLUSTER], good));
        assertTrue(assertThrows(IOException.class, () -> OverlayStore.open(appended)).getMessage()
                .contains("truncated or appended to"));
        byte[] strayBit = good.clone();
        strayBit[6 * CLUSTER] = (byte) 0x80; // cluster 7 of a six-cluster disk
        Path stray = Files.write(dir.resolve("stray.ovl"), strayBit);
        assertTrue(assertThrows(IOException.class, () -> OverlayStore.open(stray)).getMessage()
                .contains("allocation bit for cluster 7"));
        Path tiny = Files.write(dir.resolve("tiny.ovl"), new byte[10]);
        assertTrue(assertThrows(IOException.class, () -> OverlayStore.open(tiny)).getMessage().contains("too short"));
        Path ragged = Files.write(dir.resolve("ragged.img"), new byte[1000]);
        assertTrue(assertThrows(IOException.class, () -> OverlayStore.create(ragged, dir.resolve("r.ovl"))).getMessage()
                .contains("multiple of 512"));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }

    @Test
    void bothStoresRefuseRangesOutsideTheDisk() throws Exception {
        Path base = base();
        try (OverlayStore overlay = OverlayStore.create(base, dir.resolve("fork.ovl"));
             RawImageStore raw = RawImageStore.open(base, true)) {
            for (BlockStore store : new BlockStore[] {overlay, raw}) {
                assertThrows(IndexOutOfBoundsException.class, () -> store.read(SIZE - 511, ByteBuffer.allocate(512)));
                assertThrows(IndexOutOfBoundsException.class, () -> store.write(-1, ByteBuffer.allocate(1)));
            }
        }
    }

    @Test
    void zeroingReadsZerosFromTheOverlayNotTheBaseAndWholeClustersTakeNoSpace() throws Exception {
        Path base = base();
        byte[] model = Files.readAllBytes(base);
        Path overlay = dir.resolve("fork.ovl");
        try (OverlayStore store = OverlayStore.create(base, overlay)) {
            store.flush();
            long empty = AllocatedBytes.of(overlay);
            long from = CLUSTER / 2;
            long length = 2L * CLUSTER + 100 * 512;
            store.zero(from, length, true);
            Arrays.fill(model, (int) from, (int) (from + length), (byte) 0);
            assertArrayEquals(model, read(store, 0, SIZE));
            assertEquals(4, store.allocatedClusters(), "the two partly covered clusters copied, the two whole ones holes");
            store.flush();
            assertTrue(AllocatedBytes.of(overlay) <= empty + 2L * CLUSTER,
                    "the whole clusters took no space: " + (AllocatedBytes.of(overlay) - empty) + " bytes");
        }
        try (OverlayStore reopened = OverlayStore.open(overlay)) {
            assertArrayEquals(model, read(reopened, 0, SIZE), "the zeroed clusters' bits survive a reopen");
        }
    }

    @Test
    void discardingWrittenClustersGivesTheirSpaceBackAndTheLastShortClusterCounts() throws Exception {
        Path base = base();
        byte[] model = Files.readAllBytes(base);
        Path overlay = dir.resolve("fork.ovl");
        try (OverlayStore store = OverlayStore.create(base, overlay)) {
            write(store, 3L * CLUSTER, filled(2 * CLUSTER, 0x5a), model);
            store.flush();
            long written = AllocatedBytes.of(overlay);
            store.zero(3L * CLUSTER, 2L * CLUSTER, true);
            store.flush();
            assertTrue(AllocatedBytes.of(overlay) <= written - 2L * CLUSTER,
                    "a discard of two written clusters freed " + (written - AllocatedBytes.of(overlay)) + " bytes");
            store.zero(5L * CLUSTER, SIZE - 5L * CLUSTER, false);
            Arrays.fill(model, 3 * CLUSTER, SIZE, (byte) 0);
            assertArrayEquals(model, read(store, 0, SIZE));
            assertEquals(3, store.allocatedClusters(), "the last, short cluster is whole up to the disk's end");
        }
    }
}
