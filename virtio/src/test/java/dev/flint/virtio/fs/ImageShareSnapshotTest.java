package dev.flint.virtio.fs;

import dev.flint.image.tree.ImageTree;
import dev.flint.vmm.memory.GuestMemory;
import dev.flint.vmm.memory.MemoryRange;
import dev.flint.vmm.snapshot.SnapshotException;
import dev.flint.vmm.snapshot.StateInput;
import dev.flint.vmm.snapshot.StateOutput;
import dev.flint.vmm.sys.LibcFs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static dev.flint.virtio.fs.FuseDriver.ROOT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An image share saved while the guest holds nodes and open handles, restored into a new share
 * with the same trees: the guest's node ids, open files and directories go on working without a
 * new INIT. A share of a host directory refuses to be saved.
 */
class ImageShareSnapshotTest {
    @TempDir
    Path dir;

    private ImageTree alpine;
    private ImageTree other;
    private byte[] data;
    private ImageTreeFs images;
    private FuseDriver guest;

    @BeforeEach
    void mount() throws Exception {
        data = new byte[100_000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 7 + i / 11);
        }
        alpine = ImageTree.flatten(List.of(new TestLayerTar()
                .member("etc/", '5', 0755, 0, 0, new byte[0], "", 0, 0, Map.of())
                .member("etc/data", '0', 0644, 0, 0, data, "", 0, 0, Map.of())
                .file("motd", 0644, 0, 0, "hi")
                .writeTo(dir.resolve("alpine.tar"))));
        other = ImageTree.flatten(List.of(new TestLayerTar().file("x", 0644, 0, 0, "x").writeTo(dir.resolve("other.tar"))));
        images = VirtioFs.forImages("flint-images");
        images.publish("other", other);
        images.publish("alpine", alpine);
        guest = guestOf(images);
        guest.init();
    }

    @AfterEach
    void unmount() {
        guest.close();
    }

    private static FuseDriver guestOf(ImageTreeFs share) {
        return new FuseDriver(share.device(), GuestMemory.onHeap(List.of(new MemoryRange(0, 96L << 20))));
    }

    private static byte[] saved(VirtioFs device) throws SnapshotException {
        StateOutput out = new StateOutput();
        device.saveState(out);
        return out.toByteArray();
    }

    private static void restore(ImageTreeFs share, byte[] saved) throws SnapshotException {
        StateInput in = new StateInput(saved, "virtio-fs");
        share.restoreState(in);
        in.expectEnd();
    }

    @Test
    void openFilesDirectoriesAndNodeIdsGoOnAfterRestoreWithoutANewInit() throws SnapshotException {
        long tree = guest.lookup(ROOT, "alpine").nodeId();
        long etc = guest.lookup(tree, "etc").nodeId();
        long file = guest.lookup(etc, "data").nodeId();
        long fh = guest.open(file, LibcFs.O_RDONLY);
        assertArrayEquals(Arrays.copyOfRange(data, 0, 4096), guest.read(fh, 0, 4096).ok().payload());
        long dirFh = guest.opendirReply(tree).ok().buffer().getLong(0);
        byte[] saved = saved(images.device());

        ImageTreeFs restored = VirtioFs.forImages("flint-images");
        restored.publish("alpine", alpine);   // in another order than before: the indices are restored
        restored.publish("other", other);
        restore(restored, saved);
        FuseDriver after = guestOf(restored);

        assertArrayEquals(Arrays.copyOfRange(data, 4096, 8192), after.read(fh, 4096, 4096).ok().payload(),
                "the open handle reads on, with no new INIT");
        assertEquals(List.of(".", "..", "etc", "motd"),
                FuseDriver.direntNames(after.readdir(dirFh, 0, 4096, false).ok().payload(), false));
        assertEquals(file, after.lookup(etc, "data").nodeId(), "node ids name the same nodes");
        assertEquals(tree, after.lookup(ROOT, "alpine").nodeId());
        assertEquals("x", new String(after.read(after.open(after.lookup(after.lookup(ROOT, "other").nodeId(), "x").nodeId(),
                LibcFs.O_RDONLY), 0, 10).ok().payload(), StandardCharsets.UTF_8));
        long newFh = after.open(file, LibcFs.O_RDONLY);
        assertTrue(newFh != fh && newFh != dirFh, "new handles do not reuse the restored ones");
        after.release(fh).ok();
        assertEquals(FuseErrno.EBADF, -after.read(fh, 0, 10).error());
        after.close();
    }

    @Test
    void aTreeNotPublishedAgainIsNamed() throws SnapshotException {
        byte[] saved = saved(images.device());
        ImageTreeFs restored = VirtioFs.forImages("flint-images");
        restored.publish("alpine", alpine);
        SnapshotException e = assertThrows(SnapshotException.class, () -> restore(restored, saved));
        assertTrue(e.getMessage().contains("image tree 'other'"), e.getMessage());
        restored.close();
    }

    @Test
    void anUnsetSessionStaysUnsetAndAnotherTagIsRefused() throws SnapshotException {
        ImageTreeFs fresh = VirtioFs.forImages("flint-images");
        byte[] saved = saved(fresh.device());
        ImageTreeFs restored = VirtioFs.forImages("flint-images");
        restore(restored, saved);
        FuseDriver after = guestOf(restored);
        assertEquals(FuseErrno.EIO, -after.lookupReply(ROOT, "alpine").error(), "no INIT before the snapshot, none after");
        after.close();
        fresh.close();
        ImageTreeFs tagged = VirtioFs.forImages("other-tag");
        assertTrue(assertThrows(SnapshotException.class, () -> restore(tagged, saved)).getMessage().contains("'other-tag'"));
        tagged.close();
    }

    private static byte[] shareState(ImageShareState state) {
        StateOutput out = new StateOutput();
        out.writeString("flint-images");
        state.write(out);
        out.writeBoolean(true).writeInt(FuseSession.MAX_WRITE);
        return out.toByteArray();
    }

    @Test
    void theShareStateRoundTripsAndBoundsItsCounts() throws SnapshotException {
        ImageShareState state = new ImageShareState(List.of(new ImageShareState.Tree(3, "alpine")),
                List.of(new ImageShareState.Handle(7, ROOT, true)), 9);
        StateOutput out = new StateOutput();
        state.write(out);
        StateInput in = new StateInput(out.toByteArray(), "image share");
        assertEquals(state, ImageShareState.read(in));
        in.expectEnd();
        StateOutput tooMany = new StateOutput().writeInt(0).writeInt(ImageHandles.MAX_OPEN + 1);
        assertThrows(SnapshotException.class, () -> ImageShareState.read(new StateInput(tooMany.toByteArray(), "image share")));
        StateOutput badIndex = new StateOutput().writeInt(1).writeInt(0);
        assertThrows(SnapshotException.class, () -> ImageShareState.read(new StateInput(badIndex.toByteArray(), "image share")));
    }

    @Test
    void corruptHandlesAreRefused() throws SnapshotException {
        List<ImageShareState.Tree> trees = List.of(new ImageShareState.Tree(1, "other"), new ImageShareState.Tree(2, "alpine"));
        ImageTreeFs restored = VirtioFs.forImages("flint-images");
        restored.publish("alpine", alpine);
        restored.publish("other", other);
        long unknownNode = (2L << PublishedTrees.INDEX_SHIFT) + 999;
        String unknown = assertThrows(SnapshotException.class, () -> restore(restored, shareState(new ImageShareState(trees,
                List.of(new ImageShareState.Handle(1, unknownNode, false)), 2)))).getMessage();
        assertTrue(unknown.contains("node " + unknownNode), unknown);
        String beyond = assertThrows(SnapshotException.class, () -> restore(restored, shareState(new ImageShareState(trees,
                List.of(new ImageShareState.Handle(5, ROOT, true)), 2)))).getMessage();
        assertTrue(beyond.contains("handle 5"), beyond);
        String kind = assertThrows(SnapshotException.class, () -> restore(restored, shareState(new ImageShareState(trees,
                List.of(new ImageShareState.Handle(1, ROOT, false)), 2)))).getMessage();
        assertTrue(kind.contains("as a file"), kind);
        String twice = assertThrows(SnapshotException.class, () -> restore(restored, shareState(new ImageShareState(
                List.of(new ImageShareState.Tree(1, "other"), new ImageShareState.Tree(1, "alpine")), List.of(), 1)))).getMessage();
        assertTrue(twice.contains("two trees"), twice);
        restored.close();
    }

    @Test
    void aShareOfAHostDirectoryRefusesWithAReason() throws Exception {
        Path shared = Files.createDirectory(dir.resolve("shared"));
        try (VirtioFs host = new VirtioFs("share", shared, false)) {
            SnapshotException e = assertThrows(SnapshotException.class, () -> saved(host));
            assertTrue(e.getMessage().contains("host directory " + shared), e.getMessage());
            assertTrue(e.getMessage().contains("image or a disk"), e.getMessage());
        }
    }
}
