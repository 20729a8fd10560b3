package dev.flint.virtio.fs;

import dev.flint.image.tree.ImageTree;
import dev.flint.vmm.memory.GuestMemory;
import dev.flint.vmm.memory.MemoryRange;
import dev.flint.vmm.sys.LibcFs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static dev.flint.virtio.fs.FuseDriver.Args;
import static dev.flint.virtio.fs.FuseDriver.ROOT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The image share end to end through the virtqueues: a tree flattened from a test layer tar, served read-only. */
class ImageTreeFsTest {
    /** Offsets in a {@code fuse_entry_out}: entry_valid, attr_valid, then the attr's uid, gid and rdev. */
    private static final int ENTRY_VALID = 16;
    private static final int ATTR_VALID = 24;
    private static final int UID = 40 + 68;
    private static final int GID = 40 + 72;
    private static final int RDEV = 40 + 76;

    @TempDir
    Path dir;

    private ImageTreeFs images;
    private FuseDriver guest;
    private ImageTree tree;
    private byte[] big;

    @BeforeEach
    void mount() throws Exception {
        big = new byte[300_000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 13 + i / 7);
        }
        Path layer = new TestLayerTar()
                .member("bin/", '5', 0755, 0, 0, new byte[0], "", 0, 0, Map.of())
                .member("bin/su", '0', 04755, 0, 0, "su-binary".getBytes(StandardCharsets.UTF_8), "", 0, 0,
                        Map.of("security.capability", "cap", "user.note", "hello", "trusted.overlay.opaque", "y"))
                .member("bin/su2", '1', 0644, 0, 0, new byte[0], "bin/su", 0, 0, Map.of())
                .member("sh", '2', 0777, 0, 0, new byte[0], "bin/su", 0, 0, Map.of())
                .member("dev/null", '3', 0666, 0, 0, new byte[0], "", 1, 3, Map.of())
                .member("dev/sda", '4', 0660, 0, 6, new byte[0], "", 8, 0, Map.of())
                .member("run/fifo", '6', 0620, 0, 0, new byte[0], "", 0, 0, Map.of())
                .member("home/app/data", '0', 0640, 1000, 1000, big, "", 0, 0, Map.of())
                .file("last", 0644, 0, 0, "end")
                .writeTo(dir.resolve("layer.tar"));
        tree = ImageTree.flatten(List.of(layer));
        images = VirtioFs.forImages("flint-images");
        images.publish("alpine", tree);
        guest = new FuseDriver(images.device(), GuestMemory.onHeap(List.of(new MemoryRange(0, 96L << 20))));
        guest.init();
    }

    @AfterEach
    void unmount() {
        guest.close();
    }

    private long node(String path) {
        long node = guest.lookup(ROOT, "alpine").nodeId();
        for (String name : path.split("/")) {
            node = guest.lookup(node, name).nodeId();
        }
        return node;
    }

    private ByteBuffer lookupBuffer(long parent, String name) {
        return guest.lookupReply(parent, name).ok().buffer();
    }

    @Test
    void theDeviceIsAVirtioFsDeviceWithItsTag() {
        assertEquals(VirtioFs.DEVICE_ID, images.deviceId());
        assertEquals("flint-images", images.tag());
        assertEquals(2, images.queueCount());
        assertThrows(IllegalArgumentException.class, () -> VirtioFs.forImages(""));
    }

    @Test
    void theRootIsReadOnlyRootOwnedAndNeverCached() {
        ByteBuffer attr = guest.getattr(ROOT).ok().buffer();
        assertEquals(0, attr.getLong(0), "attr_valid 0: new trees appear");
        assertEquals(TreeMode.DIR | 0555, attr.getInt(16 + 60));
        assertEquals(0, attr.getInt(16 + 68));
        assertEquals(0, attr.getInt(16 + 72));
        ByteBuffer entry = lookupBuffer(ROOT, "alpine");
        assertEquals(0, entry.getLong(ENTRY_VALID), "the root's names are never cached");
        assertEquals(0, entry.getLong(ATTR_VALID));
        assertEquals(TreeMode.DIR | 0755, entry.getInt(40 + 60));
        assertEquals(FuseErrno.ENOENT, -guest.lookupReply(ROOT, "missing").error(), "an unpublished name is ENOENT");
    }

    @Test
    void attributesAreTheImagesOwnersModesAndDevices() {
        long bin = node("bin");
        ByteBuffer su = lookupBuffer(bin, "su");
        assertEquals(ImageNode.TREE_VALID_SECONDS, su.getLong(ENTRY_VALID), "trees never change: cache long");
        assertEquals(ImageNode.TREE_VALID_SECONDS, su.getLong(ATTR_VALID));
        FuseDriver.Entry suEntry = FuseDriver.Entry.decode(su, 0);
        assertEquals(0104755, suEntry.mode(), "setuid survives though the host never made the file");
        assertEquals(9, suEntry.size());
        assertEquals(2, suEntry.nlink());
        assertEquals(1_600_000_000L, suEntry.mtimeSeconds());
        assertEquals(suEntry.nodeId(), suEntry.ino(), "st_ino is the node id");
        assertEquals(0, su.getInt(UID));
        FuseDriver.Entry su2 = guest.lookup(bin, "su2");
        assertEquals(suEntry.nodeId(), su2.nodeId(), "a hard link is the same node");
        ByteBuffer nul = lookupBuffer(node("dev"), "null");
        assertEquals(0020666, nul.getInt(40 + 60));
        assertEquals((1 << 8) | 3, nul.getInt(RDEV));
        ByteBuffer sda = lookupBuffer(node("dev"), "sda");
        assertEquals(0060660, sda.getInt(40 + 60));
        assertEquals(8 << 8, sda.getInt(RDEV));
        assertEquals(6, sda.getInt(GID));
        assertEquals(0010620, guest.lookup(node("run"), "fifo").mode());
        ByteBuffer data = lookupBuffer(node("home/app"), "data");
        assertEquals(0100640, data.getInt(40 + 60));
        assertEquals(1000, data.getInt(UID));
        assertEquals(1000, data.getInt(GID));
        ByteBuffer attr = guest.getattr(suEntry.nodeId()).ok().buffer();
        assertEquals(ImageNode.TREE_VALID_SECONDS, attr.getLong(0));
        assertEquals(0104755, attr.getInt(16 + 60));
        assertEquals(0120777, guest.lookup(guest.lookup(ROOT, "alpine").nodeId(), "sh").mode());
    }

    @Test
    void nodeIdsAreStableAndDotDotClimbsToTheShareRoot() {
        long alpine = guest.lookup(ROOT, "alpine").nodeId();
        long bin = guest.lookup(alpine, "bin").nodeId();
        assertEquals(bin, guest.lookup(alpine, "bin").nodeId());
        assertEquals(alpine, guest.lookup(bin, "..").nodeId());
        assertEquals(ROOT, guest.lookup(alpine, "..").nodeId());
        assertEquals(ROOT, guest.lookup(ROOT, "..").nodeId());
        ByteBuffer missing = lookupBuffer(bin, "nothing");
        assertEquals(0, missing.getLong(0), "a missing name in a tree is a negative entry");
        assertEquals(ImageNode.TREE_VALID_SECONDS, missing.getLong(ENTRY_VALID), "which the guest may cache");
        assertEquals(FuseErrno.EBADF, -guest.getattr(12345).error(), "a node id never handed out");
        assertEquals(FuseErrno.EBADF, -guest.getattr((7L << PublishedTrees.INDEX_SHIFT) | 1).error());
        assertEquals(FuseErrno.ENOTDIR, -guest.lookupReply(guest.lookup(bin, "su").nodeId(), "x").error());
    }

    @Test
    void readServesTheFileBytesFromTheLayerTar() {
        long data = node("home/app/data");
        long fh = guest.open(data, LibcFs.O_RDONLY);
        assertArrayEquals(Arrays.copyOfRange(big, 0, 4096), guest.read(fh, 0, 4096).ok().payload());
        assertArrayEquals(Arrays.copyOfRange(big, 123_456, 123_456 + 100_000), guest.read(fh, 123_456, 100_000).ok().payload());
        assertArrayEquals(Arrays.copyOfRange(big, big.length - 10, big.length), guest.read(fh, big.length - 10, 4096).ok().payload(),
                "a read crossing the end stops at the file's size, not at the next tar member");
        assertEquals(0, guest.read(fh, big.length, 4096).ok().payload().length);
        assertEquals(0, guest.read(fh, Long.MAX_VALUE, 4096).ok().payload().length);
        assertEquals(FuseErrno.EINVAL, -guest.read(fh, -1, 10).error());
        long last = guest.open(node("last"), LibcFs.O_RDONLY);
        assertEquals("end", new String(guest.read(last, 0, 100).ok().payload(), StandardCharsets.UTF_8));
        assertEquals(ImageFileReads.FOPEN_KEEP_CACHE, guest.openReply(data, LibcFs.O_RDONLY).ok().buffer().getInt(8));
        assertEquals(1, images.openLayers(), "one channel per layer tar, reused");
        assertEquals(3, guest.fs.openHandles());
        guest.call(FuseOpcode.FLUSH, data, Args.of().u64(fh).u32(0).u32(0).u64(0).build()).ok();
        guest.release(fh).ok();
        assertEquals(FuseErrno.EBADF, -guest.read(fh, 0, 10).error());
        assertEquals(FuseErrno.EISDIR, -guest.openReply(node("bin"), LibcFs.O_RDONLY).error());
        assertEquals(FuseErrno.EINVAL, -guest.openReply(node("dev/null"), LibcFs.O_RDONLY).error());
        images.close();
        assertEquals(0, images.openLayers(), "close closes the layer channels");
    }

    @Test
    void readlinkGivesTheStoredTarget() {
        long sh = guest.lookup(guest.lookup(ROOT, "alpine").nodeId(), "sh").nodeId();
        assertEquals("bin/su", new String(guest.readlink(sh).ok().payload(), StandardCharsets.UTF_8));
        assertEquals(FuseErrno.EINVAL, -guest.readlink(node("last")).error());
        assertEquals(FuseErrno.EINVAL, -guest.readlink(ROOT).error());
    }

    @Test
    void readdirListsTheRootsTreesAndATreesDirectories() {
        long rootFh = guest.opendirReply(ROOT).ok().buffer().getLong(0);
        assertEquals(List.of(".", "..", "alpine"),
                FuseDriver.direntNames(guest.readdir(rootFh, 0, 4096, false).ok().payload(), false));
        long alpine = guest.lookup(ROOT, "alpine").nodeId();
        long fh = guest.opendirReply(alpine).ok().buffer().getLong(0);
        List<String> all = FuseDriver.direntNames(guest.readdir(fh, 0, 4096, false).ok().payload(), false);
        assertEquals(List.of(".", "..", "bin", "dev", "home", "last", "run", "sh"), all);
        byte[] plus = guest.readdir(fh, 0, 4096, true).ok().payload();
        assertEquals(all, FuseDriver.direntNames(plus, true));
        ByteBuffer b = ByteBuffer.wrap(plus).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        // "." and ".." come first, each an entry_out and a dirent; "bin" follows.
        int binAt = 2 * FuseEncoding.ENTRY_OUT_BYTES + FuseEncoding.direntSize(1) + FuseEncoding.direntSize(2);
        assertEquals(guest.lookup(alpine, "bin").nodeId(), b.getLong(binAt), "READDIRPLUS carries the entry");
        // Small buffers: continue from the offset of the last entry returned.
        List<String> paged = new java.util.ArrayList<>();
        long offset = 0;
        while (true) {
            byte[] page = guest.readdir(fh, offset, 64, false).ok().payload();
            if (page.length == 0) {
                break;
            }
            ByteBuffer p = ByteBuffer.wrap(page).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            List<String> names = FuseDriver.direntNames(page, false);
            paged.addAll(names);
            int at = 0;
            for (String name : names) {
                offset = p.getLong(at + 8);
                at += FuseEncoding.direntSize(name.length());
            }
        }
        assertEquals(all, paged);
        guest.releasedir(fh).ok();
        guest.releasedir(rootFh).ok();
        assertEquals(0, guest.fs.openHandles());
        assertEquals(FuseErrno.ENOTDIR, -guest.opendirReply(node("last")).error());
    }

    private static void erofs(FuseDriver.Reply reply) {
        assertEquals(FuseErrno.EROFS, -reply.error());
    }

    @Test
    void everyModifyingRequestIsErofs() {
        long alpine = guest.lookup(ROOT, "alpine").nodeId();
        long last = guest.lookup(alpine, "last").nodeId();
        erofs(guest.mkdir(alpine, "new", 0755));
        erofs(guest.mkdir(ROOT, "new", 0755));
        erofs(guest.createReply(alpine, "new", LibcFs.O_RDWR | LibcFs.O_CREAT, 0644));
        erofs(guest.mknod(alpine, "node", 0100644));
        erofs(guest.unlink(alpine, "last"));
        erofs(guest.rmdir(alpine, "bin"));
        erofs(guest.rename(alpine, "last", alpine, "other"));
        erofs(guest.rename2(alpine, "last", alpine, "sh", LibcFs.RENAME_EXCHANGE));
        erofs(guest.symlink(alpine, "link", "last"));
        erofs(guest.link(last, alpine, "hard"));
        erofs(guest.setattr(last, NodeOperations.FATTR_MODE, 0, 0, 0, 0, 0777));
        erofs(guest.setattr(last, NodeOperations.FATTR_SIZE, 0, 0, 0, 0, 0));
        erofs(guest.openReply(last, LibcFs.O_WRONLY));
        erofs(guest.openReply(last, LibcFs.O_RDWR));
        erofs(guest.openReply(last, LibcFs.O_RDONLY | LibcFs.O_TRUNC));
        long fh = guest.open(last, LibcFs.O_RDONLY);
        erofs(guest.write(fh, 0, "x".getBytes(StandardCharsets.UTF_8)));
        erofs(guest.call(FuseOpcode.SETXATTR, last, Args.of().u32(1).u32(0).name("user.x").bytes(new byte[]{1}).build()));
        erofs(guest.call(FuseOpcode.REMOVEXATTR, last, Args.of().name("user.note").build()));
        erofs(guest.call(FuseOpcode.ACCESS, last, Args.of().u32(LibcFs.W_OK).u32(0).build()));
        assertEquals(FuseErrno.ENOSYS, -guest.call(FuseOpcode.BMAP, last, Args.of().u64(0).u32(0).u32(0).build()).error());
        assertEquals(FuseErrno.ENOSYS, -guest.call(FuseOpcode.GETLK, last, new byte[64]).error());
        assertEquals("end", new String(guest.read(fh, 0, 10).ok().payload(), StandardCharsets.UTF_8), "the file is unchanged");
    }

    @Test
    void accessStatfsAndSyncAnswerWithoutChangingAnything() {
        long last = node("last");
        guest.call(FuseOpcode.ACCESS, last, Args.of().u32(LibcFs.R_OK).u32(0).build()).ok();
        guest.call(FuseOpcode.ACCESS, node("bin/su"), Args.of().u32(LibcFs.X_OK).u32(0).build()).ok();
        assertEquals(FuseErrno.EACCES, -guest.call(FuseOpcode.ACCESS, last, Args.of().u32(LibcFs.X_OK).u32(0).build()).error(),
                "even root cannot execute a file without an x bit");
        ByteBuffer statfs = guest.call(FuseOpcode.STATFS, ROOT, new byte[0]).ok().buffer();
        assertEquals((9 + big.length + 3 + 4095) / 4096, statfs.getLong(0), "blocks of file data");
        assertEquals(0, statfs.getLong(8), "nothing free");
        assertEquals(1 + tree.nodeCount(), statfs.getLong(24));
        long fh = guest.open(last, LibcFs.O_RDONLY);
        guest.call(FuseOpcode.FSYNC, last, Args.of().u64(fh).u32(0).u32(0).build()).ok();
    }

    @Test
    void xattrsFollowTheFuseSizeRules() {
        long su = node("bin/su");
        ByteBuffer size = guest.call(FuseOpcode.GETXATTR, su, Args.of().u32(0).u32(0).name("user.note").build()).ok().buffer();
        assertEquals(FuseEncoding.GETXATTR_OUT_BYTES, size.capacity());
        assertEquals(5, size.getInt(0));
        assertArrayEquals("hello".getBytes(StandardCharsets.UTF_8),
                guest.call(FuseOpcode.GETXATTR, su, Args.of().u32(64).u32(0).name("user.note").build()).ok().payload());
        assertArrayEquals("cap".getBytes(StandardCharsets.UTF_8),
                guest.call(FuseOpcode.GETXATTR, su, Args.of().u32(3).u32(0).name("security.capability").build()).ok().payload());
        assertEquals(FuseErrno.ERANGE,
                -guest.call(FuseOpcode.GETXATTR, su, Args.of().u32(4).u32(0).name("user.note").build()).error());
        assertEquals(FuseErrno.ENODATA,
                -guest.call(FuseOpcode.GETXATTR, su, Args.of().u32(64).u32(0).name("user.none").build()).error());
        assertEquals(FuseErrno.ENODATA,
                -guest.call(FuseOpcode.GETXATTR, su, Args.of().u32(64).u32(0).name("trusted.overlay.opaque").build()).error(),
                "an image cannot steer the guest's overlayfs");
        assertEquals(FuseErrno.ENODATA,
                -guest.call(FuseOpcode.GETXATTR, ROOT, Args.of().u32(64).u32(0).name("user.note").build()).error());
        byte[] expected = "security.capability\0user.note\0".getBytes(StandardCharsets.UTF_8);
        assertEquals(expected.length, guest.call(FuseOpcode.LISTXATTR, su, Args.of().u32(0).u32(0).build()).ok().buffer().getInt(0));
        assertArrayEquals(expected, guest.call(FuseOpcode.LISTXATTR, su, Args.of().u32(1000).u32(0).build()).ok().payload());
        assertEquals(FuseErrno.ERANGE, -guest.call(FuseOpcode.LISTXATTR, su, Args.of().u32(5).u32(0).build()).error());
        assertEquals(0, guest.call(FuseOpcode.LISTXATTR, node("last"), Args.of().u32(0).u32(0).build()).ok().buffer().getInt(0));
        assertEquals(su, node("bin/su2"), "the hard link has the same xattrs: it is the same node");
    }

    @Test
    void treesPublishedWhileTheGuestRunsAppearAtOnce() throws Exception {
        assertFalse(images.isPublished("debian"));
        assertEquals(FuseErrno.ENOENT, -guest.lookupReply(ROOT, "debian").error());
        Path other = new TestLayerTar().file("etc/debian_version", 0644, 0, 0, "12.5\n").writeTo(dir.resolve("debian.tar"));
        ImageTree debian = ImageTree.flatten(List.of(other));
        Thread publisher = new Thread(() -> images.publish("debian", debian));
        publisher.start();
        publisher.join();
        assertTrue(images.isPublished("debian"));
        long root = guest.lookup(ROOT, "debian").nodeId();
        assertNotEquals(guest.lookup(ROOT, "alpine").nodeId(), root, "each tree has its own node ids");
        long etc = guest.lookup(root, "etc").nodeId();
        long version = guest.lookup(etc, "debian_version").nodeId();
        long fh = guest.open(version, LibcFs.O_RDONLY);
        assertEquals("12.5\n", new String(guest.read(fh, 0, 100).ok().payload(), StandardCharsets.UTF_8));
        long rootFh = guest.opendirReply(ROOT).ok().buffer().getLong(0);
        assertEquals(List.of(".", "..", "alpine", "debian"),
                FuseDriver.direntNames(guest.readdir(rootFh, 0, 4096, false).ok().payload(), false));
        assertEquals(4, guest.getattr(ROOT).ok().buffer().getInt(16 + 64), "nlink 2 + one per tree");
        images.publish("debian", debian);
        assertThrows(IllegalStateException.class, () -> images.publish("debian", tree));
        for (String bad : List.of("", ".", "..", "a/b", "nul\0", "x".repeat(256))) {
            assertThrows(IllegalArgumentException.class, () -> images.publish(bad, tree), bad);
        }
    }

    @Test
    void destroyDropsHandlesAndANewSessionStartsClean() {
        long fh = guest.open(node("last"), LibcFs.O_RDONLY);
        guest.call(FuseOpcode.DESTROY, 0, new byte[0]).ok();
        assertEquals(FuseErrno.EIO, -guest.getattr(ROOT).error(), "nothing before a new INIT");
        guest.init();
        assertEquals(FuseErrno.EBADF, -guest.read(fh, 0, 10).error());
        assertEquals(0, guest.fs.openHandles());
        guest.getattr(ROOT).ok();
    }

    /** st_mode type bits, spelled out for the assertions. */
    private static final class TreeMode {
        static final int DIR = 0040000;
    }
}
