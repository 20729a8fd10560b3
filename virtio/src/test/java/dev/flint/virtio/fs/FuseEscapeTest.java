package dev.flint.virtio.fs;

import dev.flint.vmm.sys.LibcFs;
import dev.flint.vmm.sys.Stat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.flint.virtio.fs.FuseDriver.ROOT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A guest trying to reach outside the shared directory: "..", names with '/', absolute and
 * relative symlinks, and host-side swaps of a looked-up directory or file for a symlink (the
 * races virtiofsd's O_PATH design exists for). Beside the share sits {@code outside/secret};
 * every test checks it was neither read, written nor created next to.
 */
class FuseEscapeTest {
    private static final String SECRET = "the host's secret";

    @TempDir
    Path root;

    private Path share;
    private Path outside;
    private FuseDriver guest;

    @BeforeEach
    void mount() throws Exception {
        share = Files.createDirectory(root.resolve("share"));
        outside = Files.createDirectory(root.resolve("outside"));
        Files.writeString(outside.resolve("secret"), SECRET);
        guest = new FuseDriver(share, false);
        guest.init();
    }

    @AfterEach
    void unmount() throws Exception {
        guest.close();
        assertEquals(SECRET, Files.readString(outside.resolve("secret")), "the secret is untouched");
        try (var names = Files.list(outside)) {
            assertEquals(List.of(outside.resolve("secret")), names.toList(), "nothing was created outside");
        }
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Test
    void dotDotAtTheRootIsTheRootAndDotNamesAreRefusedElsewhere() throws Exception {
        assertEquals(ROOT, guest.lookup(ROOT, "..").nodeId(), "the share's parent is the share");
        Files.createDirectory(share.resolve("sub"));
        long sub = guest.lookup(ROOT, "sub").nodeId();
        assertEquals(FuseErrno.EINVAL, -guest.lookupReply(sub, "..").error());
        assertEquals(FuseErrno.EINVAL, -guest.lookupReply(ROOT, ".").error());
        assertEquals(FuseErrno.EINVAL, -guest.lookupReply(ROOT, "").error());
        assertEquals(FuseErrno.EINVAL, -guest.mkdir(ROOT, "..", 0755).error());
        assertEquals(FuseErrno.EINVAL, -guest.createReply(sub, "..", LibcFs.O_RDWR, 0644).error());
        assertEquals(FuseErrno.EINVAL, -guest.rename(sub, "..", ROOT, "x").error());
        assertEquals(FuseErrno.EINVAL, -guest.unlink(ROOT, "..").error());
        assertEquals(FuseErrno.EINVAL, -guest.rmdir(sub, "..").error());
    }

    @Test
    void namesWithASlashAreRefusedByEveryOperation() throws Exception {
        Files.createFile(share.resolve("f"));
        long f = guest.lookup(ROOT, "f").nodeId();
        assertEquals(FuseErrno.EINVAL, -guest.lookupReply(ROOT, "../outside/secret").error());
        assertEquals(FuseErrno.EINVAL, -guest.lookupReply(ROOT, "/etc/passwd").error());
        assertEquals(FuseErrno.EINVAL, -guest.createReply(ROOT, "../outside/new", LibcFs.O_RDWR, 0644).error());
        assertEquals(FuseErrno.EINVAL, -guest.mkdir(ROOT, "../outside/dir", 0755).error());
        assertEquals(FuseErrno.EINVAL, -guest.mknod(ROOT, "../outside/node", Stat.S_IFREG | 0644).error());
        assertEquals(FuseErrno.EINVAL, -guest.symlink(ROOT, "../outside/link", "x").error());
        assertEquals(FuseErrno.EINVAL, -guest.link(f, ROOT, "../outside/hard").error());
        assertEquals(FuseErrno.EINVAL, -guest.rename(ROOT, "f", ROOT, "../outside/f").error());
        assertEquals(FuseErrno.EINVAL, -guest.unlink(ROOT, "../outside/secret").error());
        assertTrue(Files.exists(share.resolve("f")));
    }

    @Test
    void anAbsoluteSymlinkIsTextNeverAPathOnTheHost() throws Exception {
        Files.createSymbolicLink(share.resolve("abs"), outside.resolve("secret"));
        FuseDriver.Entry link = guest.lookup(ROOT, "abs");
        assertEquals(Stat.S_IFLNK, link.mode() & Stat.S_IFMT, "the symlink itself, not its target");
        assertEquals(outside.resolve("secret").toString().length(), link.size());
        assertEquals(outside.resolve("secret").toString(), text(guest.readlink(link.nodeId()).ok().payload()));
        assertEquals(FuseErrno.ELOOP, -guest.openReply(link.nodeId(), LibcFs.O_RDONLY).error());
        assertEquals(FuseErrno.ELOOP, -guest.openReply(link.nodeId(), LibcFs.O_RDWR | LibcFs.O_TRUNC).error());
        assertEquals(FuseErrno.ENOTDIR, -guest.opendirReply(link.nodeId()).error());
        assertEquals(FuseErrno.EINVAL, -guest.setattr(link.nodeId(), NodeOperations.FATTR_SIZE, 0, 0, 0, 0, 0).error(),
                "truncating a symlink is refused, not applied to its target");
        assertEquals(0, guest.fs.openHandles());
    }

    @Test
    void aRelativeSymlinkClimbingOutIsNeverFollowed() throws Exception {
        Files.createSymbolicLink(share.resolve("rel"), Path.of("../../outside/secret"));
        Files.createSymbolicLink(share.resolve("dir"), Path.of("../outside"));
        FuseDriver.Entry rel = guest.lookup(ROOT, "rel");
        assertEquals("../../outside/secret", text(guest.readlink(rel.nodeId()).ok().payload()));
        assertEquals(FuseErrno.ELOOP, -guest.openReply(rel.nodeId(), LibcFs.O_RDONLY).error());
        long dir = guest.lookup(ROOT, "dir").nodeId();
        assertEquals(FuseErrno.ENOTDIR, -guest.lookupReply(dir, "secret").error(), "a symlink node has no children");
        assertEquals(FuseErrno.ENOTDIR, -guest.createReply(dir, "planted", LibcFs.O_RDWR, 0644).error());
        assertEquals(FuseErrno.ENOTDIR, -guest.mkdir(dir, "planted", 0755).error());
        assertEquals(FuseErrno.ENOTDIR, -guest.opendirReply(dir).error());
    }

    @Test
    void createOverAnExistingSymlinkDoesNotFollowIt() throws Exception {
        Files.createSymbolicLink(share.resolve("trap"), outside.resolve("secret"));
        Files.createSymbolicLink(share.resolve("dangling"), outside.resolve("created-by-guest"));
        assertEquals(FuseErrno.ELOOP, -guest.createReply(ROOT, "trap", LibcFs.O_RDWR | LibcFs.O_TRUNC, 0644).error());
        assertEquals(FuseErrno.EEXIST, -guest.createReply(ROOT, "dangling", LibcFs.O_RDWR | LibcFs.O_EXCL, 0644).error());
        assertEquals(FuseErrno.ELOOP, -guest.createReply(ROOT, "dangling", LibcFs.O_RDWR, 0644).error());
        assertEquals(FuseErrno.EEXIST, -guest.mknod(ROOT, "dangling", Stat.S_IFREG | 0644).error());
    }

    @Test
    void aDirectorySwappedForASymlinkAfterLookupStillMeansTheDirectory() throws Exception {
        Path d = Files.createDirectory(share.resolve("d"));
        Files.writeString(d.resolve("inside"), "inside");
        long node = guest.lookup(ROOT, "d").nodeId();
        // The race: between the guest's LOOKUP and its next request, "d" becomes a symlink to outside.
        Files.move(d, share.resolve("d.moved"));
        Files.createSymbolicLink(share.resolve("d"), outside);

        long[] created = guest.create(node, "new", LibcFs.O_RDWR, 0644);
        guest.write(created[1], 0, "guest data".getBytes(StandardCharsets.UTF_8)).ok();
        assertEquals("guest data", Files.readString(share.resolve("d.moved/new")), "created in the directory looked up");
        assertEquals(FuseErrno.ENOENT, -guest.lookupReply(node, "secret").error(), "the symlink's target is not searched");
        guest.mkdir(node, "sub", 0755).ok();
        assertTrue(Files.isDirectory(share.resolve("d.moved/sub")));
        guest.symlink(node, "s", "x").ok();
        assertTrue(Files.isSymbolicLink(share.resolve("d.moved/s")));
        long dirFh = guest.opendirReply(node).ok().buffer().getLong(0);
        List<String> names = FuseDriver.direntNames(guest.readdir(dirFh, 0, 4096, false).ok().payload(), false);
        assertTrue(names.contains("inside") && !names.contains("secret"), "lists the real directory: " + names);
        assertEquals(FuseErrno.ENOENT, -guest.unlink(node, "secret").error());
    }

    @Test
    void aFileSwappedForASymlinkBetweenLookupAndOpenOpensTheOriginal() throws Exception {
        Files.writeString(share.resolve("file"), "original");
        long node = guest.lookup(ROOT, "file").nodeId();
        Files.move(share.resolve("file"), share.resolve("file.old"));
        Files.createSymbolicLink(share.resolve("file"), outside.resolve("secret"));
        long fh = guest.open(node, LibcFs.O_RDWR);
        assertEquals("original", text(guest.read(fh, 0, 100).ok().payload()));
        guest.write(fh, 0, "ORIGINAL".getBytes(StandardCharsets.UTF_8)).ok();
        guest.setattr(node, NodeOperations.FATTR_SIZE, 0, 2, 0, 0, 0).ok();
        guest.setattr(node, NodeOperations.FATTR_MODE, 0, 0, 0, 0, 0600).ok();
        assertEquals("OR", Files.readString(share.resolve("file.old")));
    }

    @Test
    void renameIntoADirectorySwappedForASymlinkStaysInside() throws Exception {
        Files.writeString(share.resolve("f"), "moving");
        Path dst = Files.createDirectory(share.resolve("dst"));
        long dstNode = guest.lookup(ROOT, "dst").nodeId();
        Files.move(dst, share.resolve("dst.moved"));
        Files.createSymbolicLink(share.resolve("dst"), outside);
        guest.rename(ROOT, "f", dstNode, "f").ok();
        assertEquals("moving", Files.readString(share.resolve("dst.moved/f")));
        guest.rename2(dstNode, "f", dstNode, "g", LibcFs.RENAME_NOREPLACE).ok();
        assertTrue(Files.exists(share.resolve("dst.moved/g")));
        long g = guest.lookup(dstNode, "g").nodeId();
        guest.link(g, dstNode, "h").ok();
        assertTrue(Files.exists(share.resolve("dst.moved/h")));
    }

    @Test
    void readdirplusReportsSymlinksAsSymlinks() throws Exception {
        Files.createSymbolicLink(share.resolve("abs"), outside.resolve("secret"));
        long fh = guest.opendirReply(ROOT).ok().buffer().getLong(0);
        byte[] payload = guest.readdir(fh, 0, 4096, true).ok().payload();
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(payload).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        boolean seen = false;
        for (int at = 0; at < payload.length; ) {
            FuseDriver.Entry entry = FuseDriver.Entry.decode(b, at);
            int nameLength = b.getInt(at + FuseEncoding.ENTRY_OUT_BYTES + 16);
            String name = new String(payload, at + FuseEncoding.ENTRY_OUT_BYTES + 24, nameLength, StandardCharsets.UTF_8);
            if (name.equals("abs")) {
                assertEquals(Stat.S_IFLNK, entry.mode() & Stat.S_IFMT);
                assertFalse(entry.size() == SECRET.length(), "the link's own size, not the secret's");
                seen = true;
            }
            at += FuseEncoding.ENTRY_OUT_BYTES + FuseEncoding.direntSize(nameLength);
        }
        assertTrue(seen);
    }

    @Test
    void specialFilesAreNeverOpenedOnTheHost() throws Exception {
        Process mkfifo = new ProcessBuilder("mkfifo", share.resolve("fifo").toString()).start();
        assertEquals(0, mkfifo.waitFor());
        long fifo = guest.lookup(ROOT, "fifo").nodeId();
        // Opening a fifo would block the event loop until a writer came: refused instead.
        assertEquals(FuseErrno.EACCES, -guest.openReply(fifo, LibcFs.O_RDONLY).error());
        assertEquals(FuseErrno.EINVAL, -guest.setattr(fifo, NodeOperations.FATTR_SIZE, 0, 0, 0, 0, 0).error(),
                "truncating a fifo is refused before anything opens it");
        assertEquals(0, guest.fs.openHandles());
    }

    @Test
    void linkOfANodeOnlyEverLinksThatInode() throws Exception {
        Files.createSymbolicLink(share.resolve("abs"), outside.resolve("secret"));
        long link = guest.lookup(ROOT, "abs").nodeId();
        guest.link(link, ROOT, "copy").ok();
        assertTrue(Files.isSymbolicLink(share.resolve("copy")), "the symlink was linked, not the secret");
        assertEquals(outside.resolve("secret"), Files.readSymbolicLink(share.resolve("copy")));
    }
}
