package dev.flint.machine;

import dev.flint.virtio.blk.BlockStore;
import dev.flint.virtio.blk.OverlayStore;
import dev.flint.virtio.blk.VirtioBlk;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Forks' disks without a VM: a machine's disk (a real {@link MachineDisk}, made by mke2fs) and
 * its block device, frozen as a snapshot does, and clones branched from the layer. What moves
 * instead of being copied, who sees whose writes, which file goes when. Needs e2fsprogs.
 */
class DiskLayersTest {
    private static final int DISK_MB = 64;
    private static final long SPOT = 5L << 20;   // past the file system's metadata, in a cluster of its own
    private static final int SPOT_BYTES = 4096;

    @TempDir
    Path home;
    private DiskLayers layers;
    private final List<AutoCloseable> open = new ArrayList<>();

    @BeforeEach
    void useTemporaryHome() {
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/mke2fs")) || Files.isExecutable(Path.of("/sbin/mke2fs")),
                "needs mke2fs (Debian package e2fsprogs)");
        TestHome.use(home);
        layers = new DiskLayers(home);
    }

    @AfterEach
    void closeAndRestoreHome() throws Exception {
        for (AutoCloseable closeable : open.reversed()) {
            closeable.close();
        }
        TestHome.restore();
    }

    private static MachineConfig config(String name) {
        return MachineConfig.builder().name(name).diskMb(DISK_MB).build();
    }

    /** A machine's disk, locked, and the device over it, as a running machine holds them. */
    private record Running(MachineDisk disk, VirtioBlk device) {
    }

    private Running run(String name) throws IOException {
        MachineDisk disk = MachineDisk.open(config(name));
        VirtioBlk device = new VirtioBlk(MachineDisk.openStore(disk.image()), false, "flint-vda");
        open.add(disk);
        open.add(device);
        return new Running(disk, device);
    }

    private static void write(BlockStore store, int value) throws IOException {
        byte[] data = new byte[SPOT_BYTES];
        Arrays.fill(data, (byte) value);
        store.write(SPOT, ByteBuffer.wrap(data));
        store.flush();
    }

    private static int read(BlockStore store) throws IOException {
        ByteBuffer data = ByteBuffer.allocate(SPOT_BYTES);
        store.read(SPOT, data);
        for (byte b : data.array()) {
            assertEquals(data.get(0), b, "one write fills the spot");
        }
        return data.get(0);
    }

    private Path machineDirectory(String name) {
        return home.resolve("machines").resolve(name);
    }

    private List<String> layerFiles() throws IOException {
        try (Stream<Path> files = Files.list(home.resolve("layers"))) {
            return files.map(p -> p.getFileName().toString()).filter(n -> !n.equals("lock")).sorted().toList();
        }
    }

    @Test
    void aForkMovesTheDiskIntoALayerAndCopiesNoByte() throws Exception {
        Running parent = run("parent");
        write(parent.device().store(), 0x11);
        Path raw = parent.disk().image();
        Object inode = Files.getAttribute(raw, "unix:ino");

        Path layer = layers.freeze(parent.disk(), parent.device(), "m-aaaaaaaaaaaaaaaa", "s-aaaaaaaaaaaaaaaa");
        assertFalse(Files.exists(raw), "the raw image moved");
        assertEquals(inode, Files.getAttribute(layer, "unix:ino"), "moved, not copied: the same file");
        assertEquals(machineDirectory("parent").resolve("disk.ovl"), parent.disk().image());
        assertTrue(parent.device().store() instanceof OverlayStore, "the running device goes on over an overlay");
        assertTrue(MachineDiskTest.allocatedBytes(parent.disk().image()) <= 64 * 1024,
                "the parent's new layer holds a map and a header, no data");

        Path clone = MachineDisk.overlayOf(config("clone"), machineDirectory("clone"));
        Files.createDirectories(clone.getParent());
        layers.branch(layer, clone, "m-bbbbbbbbbbbbbbbb");
        assertTrue(MachineDiskTest.allocatedBytes(clone) <= 64 * 1024, "a clone's disk is an empty overlay");
        assertEquals((long) DISK_MB << 20, OverlayStore.openLayer(clone).capacity(), "of the parent's size");
    }

    @Test
    void writesInOneCloneAreInvisibleToTheParentAndTheOtherCloneAndTheLayerNeverChanges() throws Exception {
        Running parent = run("parent");
        write(parent.device().store(), 0x11);
        Path layer = layers.freeze(parent.disk(), parent.device(), "m-aaaaaaaaaaaaaaaa", "s-aaaaaaaaaaaaaaaa");
        FileTime frozenAt = Files.getLastModifiedTime(layer);
        byte[] frozen = Files.readAllBytes(layer);
        List<Running> clones = new ArrayList<>();
        for (String name : List.of("left", "right")) {
            Path overlay = MachineDisk.overlayOf(config(name), machineDirectory(name));
            Files.createDirectories(overlay.getParent());
            layers.branch(layer, overlay, "m-" + name.charAt(0) + "ccccccccccccccc");
            clones.add(run(name));
        }
        assertEquals(0x11, read(clones.get(0).device().store()), "a clone starts from the parent's disk");

        write(clones.get(0).device().store(), 0x22);
        write(parent.device().store(), 0x33);
        assertEquals(0x22, read(clones.get(0).device().store()));
        assertEquals(0x11, read(clones.get(1).device().store()), "the other clone sees neither write");
        assertEquals(0x33, read(parent.device().store()), "nor does the parent see the clone's");
        assertArrayEquals(frozen, Files.readAllBytes(layer), "the layer is never written");
        assertEquals(frozenAt, Files.getLastModifiedTime(layer));
    }

    @Test
    void aClonesDiskReopensAfterAStopAndStart() throws Exception {
        Running parent = run("parent");
        write(parent.device().store(), 0x11);
        Path layer = layers.freeze(parent.disk(), parent.device(), "m-aaaaaaaaaaaaaaaa", "s-aaaaaaaaaaaaaaaa");
        Path overlay = MachineDisk.overlayOf(config("clone"), machineDirectory("clone"));
        Files.createDirectories(overlay.getParent());
        layers.branch(layer, overlay, "m-bbbbbbbbbbbbbbbb");
        Running clone = run("clone");
        write(clone.device().store(), 0x44);
        clone.device().close();   // the stop
        clone.disk().close();

        try (MachineDisk again = MachineDisk.open(config("clone"));
             BlockStore store = MachineDisk.openStore(again.image())) {
            assertEquals(overlay, again.image(), "no raw disk is made beside the overlay");
            assertFalse(Files.exists(machineDirectory("clone").resolve("disk.ext4")));
            assertEquals(0x44, read(store), "its own write");
            ByteBuffer superblock = ByteBuffer.allocate(2).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            store.read(1024 + 0x38, superblock);
            assertEquals(0xEF53, superblock.getShort(0) & 0xffff, "the parent's ext4, read from the layer");
        }
    }

    @Test
    void aLayerStaysUntilItsLastHolderGoesAndThenItsChainGoesToo() throws Exception {
        Running parent = run("parent");
        Path first = layers.freeze(parent.disk(), parent.device(), "m-aaaaaaaaaaaaaaaa", "s-aaaaaaaaaaaaaaaa");
        write(parent.device().store(), 0x55);
        Path second = layers.freeze(parent.disk(), parent.device(), "m-aaaaaaaaaaaaaaaa", "s-bbbbbbbbbbbbbbbb");
        assertTrue(OverlayStore.isOverlay(second), "the parent's overlay froze in turn");
        assertEquals(first.toAbsolutePath(), OverlayStore.baseOf(second));
        String secondId = second.getFileName().toString().replace(".ovl", "");
        assertEquals(List.of(secondId, "s-aaaaaaaaaaaaaaaa"), layers.holders(first),
                "the parent's hold on the first layer passed to the second");
        Path overlay = MachineDisk.overlayOf(config("clone"), machineDirectory("clone"));
        Files.createDirectories(overlay.getParent());
        layers.branch(second, overlay, "m-bbbbbbbbbbbbbbbb");
        assertEquals(List.of("m-aaaaaaaaaaaaaaaa", "m-bbbbbbbbbbbbbbbb", "s-bbbbbbbbbbbbbbbb"), layers.holders(second));

        parent.device().close();
        layers.dropOverlay(parent.disk().overlay());   // the parent is deleted
        layers.release(first, "s-aaaaaaaaaaaaaaaa");
        layers.release(second, "s-bbbbbbbbbbbbbbbb");
        assertTrue(Files.exists(first) && Files.exists(second), "the clone still reads both");
        try (BlockStore store = OverlayStore.openLayer(overlay)) {
            assertEquals(0x55, read(store));
        }

        layers.dropOverlay(overlay);
        assertEquals(List.of(), layerFiles(), "the last holder gone, the whole chain goes");
    }

    @Test
    void aSnapshotHoldsItsLayerUntilItIsDeletedAndMachinesMadeFromItBranchOverIt() throws Exception {
        Running parent = run("parent");
        write(parent.device().store(), 0x12);
        String holder = DiskLayers.snapshotHolder();
        Path layer = layers.freeze(parent.disk(), parent.device(), "m-aaaaaaaaaaaaaaaa", holder);
        SnapshotStore snapshots = new SnapshotStore(home);
        Path partial = snapshots.begin("snap");
        SnapshotStore.writeRecord(partial, "snap", config("parent"), SavedGuest.macOf("m-aaaaaaaaaaaaaaaa"));
        new DiskLayers.Hold(layer, holder).write(partial.resolve(SnapshotStore.DISK));
        Path snapshot = snapshots.commit(partial);

        snapshots.prepareMachine(snapshot, "m-cccccccccccccccc", config("clone"));
        Path overlay = machineDirectory("clone").resolve("disk.ovl");
        assertEquals(layer.toAbsolutePath(), OverlayStore.baseOf(overlay));
        assertEquals(List.of("m-aaaaaaaaaaaaaaaa", "m-cccccccccccccccc", holder), layers.holders(layer));
        assertThrows(MachineStateException.class, () -> snapshots.delete("snap"));

        SnapshotStore.dropDisks(machineDirectory("clone"));   // the clone is deleted
        SnapshotStore.release("m-cccccccccccccccc", "clone");
        snapshots.delete("snap");
        assertEquals(List.of("m-aaaaaaaaaaaaaaaa"), layers.holders(layer), "the parent still reads it");
        assertEquals(0x12, read(parent.device().store()));
        parent.device().close();
        layers.dropOverlay(parent.disk().overlay());
        assertEquals(List.of(), layerFiles());
    }

    @Test
    void aRetainedDiskKeepsItsHoldForTheNextMachineOfItsNameWhoseDeleteDropsIt() throws Exception {
        Running parent = run("parent");
        Path layer = layers.freeze(parent.disk(), parent.device(), "m-aaaaaaaaaaaaaaaa", "s-aaaaaaaaaaaaaaaa");
        Path overlay = MachineDisk.overlayOf(config("keeper"), machineDirectory("keeper"));
        Files.createDirectories(overlay.getParent());
        layers.branch(layer, overlay, "m-bbbbbbbbbbbbbbbb");   // its machine is deleted, the disk retained
        try (MachineDisk later = MachineDisk.open(config("keeper"))) {   // another id, the same directory
            assertEquals(overlay, later.image());
            layers.dropOverlay(later.overlay());
        }
        assertEquals(List.of("m-aaaaaaaaaaaaaaaa", "s-aaaaaaaaaaaaaaaa"), layers.holders(layer),
                "the hold goes with the disk, whichever machine deletes it");
        assertFalse(Files.exists(overlay.resolveSibling("disk.ovl.holder")));
    }

    @Test
    void aChainAtTheLimitIsFlattenedIntoARawLayer() throws Exception {
        Running parent = run("parent");
        List<Path> frozen = new ArrayList<>();
        for (int i = 0; i <= OverlayStore.MAX_DEPTH; i++) {
            write(parent.device().store(), i + 1);
            frozen.add(layers.freeze(parent.disk(), parent.device(), "m-aaaaaaaaaaaaaaaa", DiskLayers.snapshotHolder()));
        }
        Path flat = frozen.getLast();
        assertFalse(OverlayStore.isOverlay(flat), "the chain was at " + OverlayStore.MAX_DEPTH + ": copied flat");
        assertEquals(1, ((OverlayStore) parent.device().store()).chainLength());
        assertFalse(Files.exists(parent.disk().overlay().resolveSibling("disk.ovl.flattened")));
        try (BlockStore store = OverlayStore.openLayer(flat)) {
            assertEquals(OverlayStore.MAX_DEPTH + 1, read(store), "the last write, through the whole chain");
        }
        assertEquals(OverlayStore.MAX_DEPTH + 1, read(parent.device().store()));
        assertTrue(layers.holders(frozen.get(frozen.size() - 2)).stream().noneMatch(h -> h.startsWith("m-")),
                "the parent no longer holds the old chain");
    }

    @Test
    void aFailedFreezeLeavesTheMachineOnItsDisk() throws Exception {
        Running parent = run("parent");
        write(parent.device().store(), 0x66);
        Path raw = parent.disk().image();
        assertThrows(IllegalArgumentException.class,
                () -> layers.freeze(parent.disk(), parent.device(), "m-aaaaaaaaaaaaaaaa", "not a holder"));
        assertEquals(raw, parent.disk().image());
        assertEquals(List.of(), layerFiles(), "no layer is left behind");
        write(parent.device().store(), 0x77);
        assertEquals(0x77, read(parent.device().store()), "the device works on, on its old file");
    }

    @Test
    void aFailedFreezeOfAnOverlayGivesTheMachineBackItsHoldOnTheLayerBelow() throws Exception {
        Running parent = run("parent");
        Path first = layers.freeze(parent.disk(), parent.device(), "m-aaaaaaaaaaaaaaaa", "s-aaaaaaaaaaaaaaaa");
        write(parent.device().store(), 0x66);
        Path overlay = parent.disk().image();
        assertThrows(IllegalArgumentException.class,
                () -> layers.freeze(parent.disk(), parent.device(), "m-aaaaaaaaaaaaaaaa", "not a holder"));
        assertEquals(overlay, parent.disk().image());
        assertEquals(List.of("m-aaaaaaaaaaaaaaaa", "s-aaaaaaaaaaaaaaaa"), layers.holders(first));
        assertEquals(List.of(first.getFileName().toString(), first.getFileName().toString().replace(".ext4", ".holds")),
                layerFiles(), "only the first layer is left");
        assertEquals(0x66, read(parent.device().store()), "the overlay, reopened, holds the write");
        write(parent.device().store(), 0x67);
        assertEquals(0x67, read(parent.device().store()));
    }
}
