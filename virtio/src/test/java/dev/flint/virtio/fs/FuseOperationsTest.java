package dev.flint.virtio.fs;

import dev.flint.vmm.sys.LibcFs;
import dev.flint.vmm.sys.Stat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import static dev.flint.virtio.fs.FuseDriver.Args;
import static dev.flint.virtio.fs.FuseDriver.ROOT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every implemented FUSE opcode, end to end through the virtqueues, against a temporary host directory. */
class FuseOperationsTest {
    @TempDir
    Path share;

    private FuseDriver guest;

    @BeforeEach
    void mount() throws Exception {
        guest = new FuseDriver(share, false);
        guest.init();
    }

    @AfterEach
    void unmount() {
        guest.close();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void initNegotiatesTheLowerMinorAndOnlySupportedFlags() throws Exception {
        try (FuseDriver fresh = new FuseDriver(share, false)) {
            int offered = FuseSession.ASYNC_READ | FuseSession.MAX_PAGES | FuseSession.DO_READDIRPLUS | (1 << 16) | (1 << 20);
            ByteBuffer out = fresh.init(37, offered).ok().buffer();
            assertEquals(FuseSession.INIT_OUT_BYTES, out.capacity());
            assertEquals(7, out.getInt(0));
            assertEquals(37, out.getInt(4), "the guest's minor when it is older than ours");
            assertEquals(128 * 1024, out.getInt(8), "max_readahead no more than the guest asked");
            assertEquals(FuseSession.ASYNC_READ | FuseSession.MAX_PAGES | FuseSession.DO_READDIRPLUS, out.getInt(12),
                    "writeback cache and POSIX ACLs are not offered back");
            assertEquals(1 << 20, out.getInt(20), "max_write 1 MiB");
            assertEquals(1, out.getInt(24), "nanosecond timestamps");
            assertEquals(256, out.getShort(28), "max_pages for 1 MiB");
            assertEquals(FuseErrno.EPROTO, -fresh.init(37, 0).error(), "a second INIT is refused");
        }
        try (FuseDriver newer = new FuseDriver(share, false)) {
            assertEquals(FuseSession.MINOR, newer.init(99, 0).ok().buffer().getInt(4), "our minor when the guest is newer");
        }
        try (FuseDriver old = new FuseDriver(share, false)) {
            assertEquals(FuseErrno.EPROTO, -old.init(26, 0).error(), "too old to speak virtio-fs");
        }
    }

    @Test
    void lookupAndGetattrDescribeTheHostFile() throws Exception {
        Files.write(share.resolve("hello.txt"), ascii("hello world"));
        FuseDriver.Entry entry = guest.lookup(ROOT, "hello.txt");
        assertTrue(entry.nodeId() > ROOT);
        assertEquals(11, entry.size());
        assertEquals(Stat.S_IFREG, entry.mode() & Stat.S_IFMT);
        assertEquals(((Number) Files.getAttribute(share.resolve("hello.txt"), "unix:ino")).longValue(), entry.ino());
        assertEquals(entry.nodeId(), guest.lookup(ROOT, "hello.txt").nodeId(), "the same file is the same node");
        ByteBuffer attr = guest.getattr(entry.nodeId()).ok().buffer();
        assertEquals(FuseEncoding.ATTR_OUT_BYTES, attr.capacity());
        assertEquals(11, attr.getLong(16 + 8));
        ByteBuffer rootAttr = guest.getattr(ROOT).ok().buffer();
        assertEquals(Stat.S_IFDIR, rootAttr.getInt(16 + 60) & Stat.S_IFMT);
    }

    @Test
    void createWriteReadAndReleaseMoveBytesBothWays() throws Exception {
        long[] created = guest.create(ROOT, "new.bin", LibcFs.O_RDWR | LibcFs.O_CREAT, 0640);
        long fh = created[1];
        assertEquals(PosixFilePermissions.fromString("rw-r-----"), Files.getPosixFilePermissions(share.resolve("new.bin")));
        byte[] data = new byte[100_000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 7);
        }
        ByteBuffer written = guest.write(fh, 10, data).ok().buffer();
        assertEquals(data.length, written.getInt(0));
        byte[] onHost = Files.readAllBytes(share.resolve("new.bin"));
        assertEquals(10 + data.length, onHost.length);
        assertArrayEquals(data, java.util.Arrays.copyOfRange(onHost, 10, onHost.length));
        FuseDriver.Reply read = guest.read(fh, 10, 50_000).ok();
        assertArrayEquals(java.util.Arrays.copyOf(data, 50_000), read.payload());
        assertEquals(5, guest.read(fh, onHost.length - 5, 4096).ok().payload().length, "a short read at the end");
        assertEquals(0, guest.read(fh, onHost.length + 100, 4096).ok().payload().length, "nothing past the end");
        assertEquals(1, guest.fs.openHandles());
        guest.release(fh).ok();
        assertEquals(0, guest.fs.openHandles());
        assertEquals(FuseErrno.EBADF, -guest.read(fh, 0, 10).error(), "a released handle is gone");
    }

    @Test
    void readScattersIntoSeveralGuestBuffers() throws Exception {
        byte[] data = new byte[3000];
        java.util.Arrays.fill(data, (byte) 'x');
        data[2999] = 'y';
        Files.write(share.resolve("f"), data);
        long fh = guest.open(guest.lookup(ROOT, "f").nodeId(), LibcFs.O_RDONLY);
        // The kernel's out header, then the data split over two buffers.
        int head = guest.requests.chain(dev.flint.virtio.queue.MockDriver.Part.read(FuseDriver.header(80, FuseOpcode.READ, 7, 0)),
                dev.flint.virtio.queue.MockDriver.Part.read(FuseDriver.readIn(fh, 0, 3000)),
                dev.flint.virtio.queue.MockDriver.Part.write(16), dev.flint.virtio.queue.MockDriver.Part.write(1000),
                dev.flint.virtio.queue.MockDriver.Part.write(2000));
        guest.requests.publish(head);
        guest.fs.queueNotify(VirtioFs.REQUESTS);
        assertEquals(3016, guest.requests.used().get(0).length());
        assertEquals('x', guest.requests.read(guest.requests.bufferOf(head + 3), 1000)[999]);
        assertEquals('y', guest.requests.read(guest.requests.bufferOf(head + 4), 2000)[1999]);
    }

    @Test
    void openHonoursAccessModeTruncAndAppend() throws Exception {
        Files.write(share.resolve("log"), ascii("abc"));
        long node = guest.lookup(ROOT, "log").nodeId();
        long append = guest.open(node, LibcFs.O_WRONLY | LibcFs.O_APPEND);
        guest.write(append, 0, ascii("def")).ok();
        assertEquals("abcdef", Files.readString(share.resolve("log")));
        assertEquals(FuseErrno.EBADF, -guest.read(append, 0, 10).error(), "write-only handle cannot read");
        long readOnly = guest.open(node, LibcFs.O_RDONLY);
        assertEquals(FuseErrno.EBADF, -guest.write(readOnly, 0, ascii("x")).error(), "read-only handle cannot write");
        guest.open(node, LibcFs.O_WRONLY | LibcFs.O_TRUNC);
        assertEquals(0, Files.size(share.resolve("log")), "ATOMIC_O_TRUNC: OPEN truncates");
    }

    @Test
    void mkdirReaddirAndRmdir() throws Exception {
        FuseDriver.Entry dir = FuseDriver.Entry.decode(guest.mkdir(ROOT, "d", 0750).ok().buffer(), 0);
        assertTrue(Files.isDirectory(share.resolve("d")));
        assertEquals(Stat.S_IFDIR | 0750, dir.mode());
        for (int i = 0; i < 40; i++) {
            Files.createFile(share.resolve("d/file-" + i));
        }
        long fh = guest.opendirReply(dir.nodeId()).ok().buffer().getLong(0);
        // Small replies force several READDIRs, each continuing at the last entry's offset.
        List<String> names = new ArrayList<>();
        long offset = 0;
        while (true) {
            byte[] payload = guest.readdir(fh, offset, 256, false).ok().payload();
            if (payload.length == 0) {
                break;
            }
            names.addAll(FuseDriver.direntNames(payload, false));
            ByteBuffer b = ByteBuffer.wrap(payload).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            int at = 0;
            while (at < payload.length) {
                offset = b.getLong(at + 8);
                at += FuseEncoding.direntSize(b.getInt(at + 16));
            }
        }
        assertEquals(42, names.size(), "40 files, '.' and '..': " + names);
        assertTrue(names.contains("file-39") && names.contains(".") && names.contains(".."));
        guest.releasedir(fh).ok();
        assertEquals(FuseErrno.ENOTEMPTY, -guest.rmdir(ROOT, "d").error());
        for (int i = 0; i < 40; i++) {
            Files.delete(share.resolve("d/file-" + i));
        }
        guest.rmdir(ROOT, "d").ok();
        assertFalse(Files.exists(share.resolve("d")));
    }

    @Test
    void readdirplusLooksUpEveryEntryButDotAndDotDot() throws Exception {
        Files.write(share.resolve("a"), ascii("12345"));
        Files.createDirectory(share.resolve("b"));
        long fh = guest.opendirReply(ROOT).ok().buffer().getLong(0);
        int nodesBefore = guest.fs.liveNodes();
        byte[] payload = guest.readdir(fh, 0, 4096, true).ok().payload();
        List<String> names = FuseDriver.direntNames(payload, true);
        assertEquals(List.of(".", "..", "a", "b"), names.stream().sorted().toList());
        ByteBuffer b = ByteBuffer.wrap(payload).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int at = 0;
        while (at < payload.length) {
            FuseDriver.Entry entry = FuseDriver.Entry.decode(b, at);
            int nameLength = b.getInt(at + FuseEncoding.ENTRY_OUT_BYTES + 16);
            String name = new String(payload, at + FuseEncoding.ENTRY_OUT_BYTES + 24, nameLength, StandardCharsets.UTF_8);
            if (name.equals(".") || name.equals("..")) {
                assertEquals(0, entry.nodeId(), "no lookup for " + name);
            } else {
                assertNotEquals(0, entry.nodeId());
                if (name.equals("a")) {
                    assertEquals(5, entry.size());
                }
            }
            at += FuseEncoding.ENTRY_OUT_BYTES + FuseEncoding.direntSize(nameLength);
        }
        assertEquals(nodesBefore + 2, guest.fs.liveNodes());
    }

    @Test
    void unlinkRenameAndRename2() throws Exception {
        Files.write(share.resolve("a"), ascii("A"));
        Files.write(share.resolve("b"), ascii("B"));
        Files.createDirectory(share.resolve("sub"));
        long sub = guest.lookup(ROOT, "sub").nodeId();
        guest.rename(ROOT, "a", sub, "a2").ok();
        assertEquals("A", Files.readString(share.resolve("sub/a2")));
        assertEquals(FuseErrno.EEXIST, -guest.rename2(sub, "a2", ROOT, "b", LibcFs.RENAME_NOREPLACE).error());
        guest.rename2(sub, "a2", ROOT, "b", LibcFs.RENAME_EXCHANGE).ok();
        assertEquals("A", Files.readString(share.resolve("b")));
        assertEquals("B", Files.readString(share.resolve("sub/a2")));
        assertEquals(FuseErrno.EINVAL, -guest.rename2(ROOT, "b", ROOT, "c", LibcFs.RENAME_WHITEOUT).error());
        assertEquals(FuseErrno.EINVAL, -guest.rename2(ROOT, "b", ROOT, "c",
                LibcFs.RENAME_NOREPLACE | LibcFs.RENAME_EXCHANGE).error());
        guest.unlink(sub, "a2").ok();
        assertFalse(Files.exists(share.resolve("sub/a2")));
        assertEquals(FuseErrno.ENOENT, -guest.unlink(sub, "a2").error());
    }

    @Test
    void symlinkReadlinkAndLink() throws Exception {
        Files.write(share.resolve("target"), ascii("T"));
        FuseDriver.Entry link = FuseDriver.Entry.decode(guest.symlink(ROOT, "ln", "target").ok().buffer(), 0);
        assertEquals(Stat.S_IFLNK, link.mode() & Stat.S_IFMT);
        assertEquals("target", Files.readSymbolicLink(share.resolve("ln")).toString());
        assertEquals("target", new String(guest.readlink(link.nodeId()).ok().payload(), StandardCharsets.UTF_8));
        assertEquals(FuseErrno.EINVAL, -guest.readlink(ROOT).error(), "a directory is not a symlink");
        FuseDriver.Entry target = guest.lookup(ROOT, "target");
        FuseDriver.Entry hard = FuseDriver.Entry.decode(guest.link(target.nodeId(), ROOT, "hard").ok().buffer(), 0);
        assertEquals(target.nodeId(), hard.nodeId(), "a hard link is the same node");
        assertEquals(2, hard.nlink());
        assertEquals("T", Files.readString(share.resolve("hard")));
        assertEquals(FuseErrno.EPERM, -guest.link(ROOT, ROOT, "rootlink").error(), "directories cannot be linked");
    }

    @Test
    void setattrChangesModeSizeAndTimes() throws Exception {
        Files.write(share.resolve("f"), new byte[1000]);
        long node = guest.lookup(ROOT, "f").nodeId();
        ByteBuffer attr = guest.setattr(node, NodeOperations.FATTR_MODE, 0, 0, 0, 0, 0600).ok().buffer();
        assertEquals(Stat.S_IFREG | 0600, attr.getInt(16 + 60));
        guest.setattr(node, NodeOperations.FATTR_SIZE, 0, 10, 0, 0, 0).ok();
        assertEquals(10, Files.size(share.resolve("f")));
        long fh = guest.open(node, LibcFs.O_RDWR);
        guest.setattr(node, NodeOperations.FATTR_SIZE | NodeOperations.FATTR_FH, fh, 3, 0, 0, 0).ok();
        assertEquals(3, Files.size(share.resolve("f")));
        assertEquals(FuseErrno.EBADF, -guest.setattr(node, NodeOperations.FATTR_SIZE | NodeOperations.FATTR_FH,
                999, 3, 0, 0, 0).error());
        guest.setattr(node, NodeOperations.FATTR_MTIME | NodeOperations.FATTR_ATIME, 0, 0, 500_000, 700_000, 0).ok();
        assertEquals(FileTime.fromMillis(700_000_000L), Files.getLastModifiedTime(share.resolve("f")));
        assertEquals(FileTime.fromMillis(500_000_000L), Files.getAttribute(share.resolve("f"), "lastAccessTime"));
        guest.setattr(node, NodeOperations.FATTR_MTIME_NOW, 0, 0, 0, 0, 0).ok();
        assertTrue(Files.getLastModifiedTime(share.resolve("f")).toMillis() > System.currentTimeMillis() - 60_000);
        assertEquals(FuseErrno.EISDIR, -guest.setattr(ROOT, NodeOperations.FATTR_SIZE, 0, 0, 0, 0, 0).error());
        long sym = FuseDriver.Entry.decode(guest.symlink(ROOT, "s", "f").ok().buffer(), 0).nodeId();
        assertEquals(FuseErrno.EOPNOTSUPP, -guest.setattr(sym, NodeOperations.FATTR_MODE, 0, 0, 0, 0, 0777).error());
        assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(share.resolve("f")),
                "chmod of the symlink did not reach its target");
    }

    @Test
    void mknodMakesRegularFilesOnly() throws Exception {
        FuseDriver.Entry entry = FuseDriver.Entry.decode(guest.mknod(ROOT, "plain", Stat.S_IFREG | 0604).ok().buffer(), 0);
        assertEquals(Stat.S_IFREG | 0604, entry.mode());
        assertTrue(Files.isRegularFile(share.resolve("plain")));
        assertEquals(FuseErrno.EPERM, -guest.mknod(ROOT, "fifo", Stat.S_IFIFO | 0600).error());
        assertEquals(FuseErrno.EPERM, -guest.mknod(ROOT, "dev", Stat.S_IFCHR | 0600).error());
        assertFalse(Files.exists(share.resolve("fifo")));
    }

    @Test
    void statfsFsyncFlushLseekAndAccess() throws Exception {
        ByteBuffer statfs = guest.call(FuseOpcode.STATFS, ROOT, new byte[0]).ok().buffer();
        assertEquals(FuseEncoding.STATFS_OUT_BYTES, statfs.capacity());
        assertTrue(statfs.getLong(0) > 0, "blocks");
        assertTrue(statfs.getInt(40) > 0, "bsize");
        assertTrue(statfs.getInt(44) >= 255, "namelen");

        long[] created = guest.create(ROOT, "sparse", LibcFs.O_RDWR, 0644);
        long fh = created[1];
        guest.write(fh, 1 << 20, ascii("end")).ok();
        guest.call(FuseOpcode.FSYNC, 0, Args.of().u64(fh).u32(0).u32(0).build()).ok();
        guest.call(FuseOpcode.FSYNC, 0, Args.of().u64(fh).u32(1).u32(0).build()).ok();
        guest.call(FuseOpcode.FLUSH, 0, Args.of().u64(fh).u32(0).u32(0).u64(0).build()).ok();
        assertEquals((1 << 20) + 3, lseek(fh, 0, LibcFs.SEEK_END).ok().buffer().getLong(0));
        assertEquals(5, lseek(fh, 5, LibcFs.SEEK_SET).ok().buffer().getLong(0));
        long data = lseek(fh, 0, LibcFs.SEEK_DATA).ok().buffer().getLong(0);
        assertTrue(data <= 1 << 20, "data starts by the written bytes: " + data);
        assertEquals(0, lseek(fh, 0, LibcFs.SEEK_HOLE).ok().buffer().getLong(0) % 4096);
        lseek(fh, 0, LibcFs.SEEK_CUR).ok();
        assertEquals(FuseErrno.EINVAL, -lseek(fh, 0, 7).error());

        long dirFh = guest.opendirReply(ROOT).ok().buffer().getLong(0);
        guest.call(FuseOpcode.FSYNCDIR, 0, Args.of().u64(dirFh).u32(0).u32(0).build()).ok();
        assertEquals(FuseErrno.EBADF, -guest.call(FuseOpcode.FSYNCDIR, 0, Args.of().u64(fh).u32(0).u32(0).build()).error(),
                "a file handle is not a directory handle");

        guest.call(FuseOpcode.ACCESS, created[0], Args.of().u32(LibcFs.R_OK | LibcFs.W_OK).u32(0).build()).ok();
        guest.call(FuseOpcode.ACCESS, created[0], Args.of().u32(LibcFs.F_OK).u32(0).build()).ok();
        assertEquals(FuseErrno.EACCES, -guest.call(FuseOpcode.ACCESS, created[0],
                Args.of().u32(LibcFs.X_OK).u32(0).build()).error(), "0644 is not executable");
    }

    private FuseDriver.Reply lseek(long fh, long offset, int whence) {
        return guest.call(FuseOpcode.LSEEK, 0, Args.of().u64(fh).u64(offset).u32(whence).u32(0).build());
    }

    @Test
    void xattrsAndUnknownOpcodesAreEnosys() {
        assertEquals(FuseErrno.ENOSYS, -guest.call(FuseOpcode.GETXATTR, ROOT, Args.of().u32(64).u32(0).name("user.x").build()).error());
        assertEquals(FuseErrno.ENOSYS, -guest.call(FuseOpcode.LISTXATTR, ROOT, Args.of().u32(64).u32(0).build()).error());
        assertEquals(FuseErrno.ENOSYS, -guest.call(FuseOpcode.SETXATTR, ROOT,
                Args.of().u32(1).u32(0).u32(0).u32(0).name("user.x").bytes(new byte[]{1}).build()).error());
        assertEquals(FuseErrno.ENOSYS, -guest.call(FuseOpcode.REMOVEXATTR, ROOT, Args.of().name("user.x").build()).error());
        assertEquals(FuseErrno.ENOSYS, -guest.call(FuseOpcode.FALLOCATE, ROOT, new byte[32]).error());
        assertEquals(FuseErrno.ENOSYS, -guest.call(4242, ROOT, new byte[0]).error());
    }

    @Test
    void forgetAndBatchForgetCloseTheNodesFds() throws Exception {
        Files.createFile(share.resolve("x"));
        Files.createFile(share.resolve("y"));
        long x = guest.lookup(ROOT, "x").nodeId();
        guest.lookup(ROOT, "x");
        long y = guest.lookup(ROOT, "y").nodeId();
        assertEquals(3, guest.fs.liveNodes());
        assertEquals(0, guest.post(guest.hiprio, VirtioFs.HIPRIO, FuseOpcode.FORGET, x, Args.of().u64(1).build()),
                "FORGET has no reply");
        assertEquals(3, guest.fs.liveNodes(), "one of two lookups forgotten");
        guest.post(guest.hiprio, VirtioFs.HIPRIO, FuseOpcode.BATCH_FORGET, 0,
                Args.of().u32(2).u32(0).u64(x).u64(1).u64(y).u64(1).build());
        assertEquals(1, guest.fs.liveNodes(), "only the root is left");
        assertEquals(FuseErrno.EBADF, -guest.getattr(x).error(), "a forgotten node id is stale");
        guest.post(guest.hiprio, VirtioFs.HIPRIO, FuseOpcode.FORGET, ROOT, Args.of().u64(100).build());
        guest.getattr(ROOT).ok();
        assertTrue(guest.interrupts.get() > 0);
    }

    @Test
    void interruptIsIgnoredAndDestroyDropsEverything() throws Exception {
        assertEquals(0, guest.post(guest.hiprio, VirtioFs.HIPRIO, FuseOpcode.INTERRUPT, 0, Args.of().u64(5).build()));
        Files.createFile(share.resolve("f"));
        long node = guest.lookup(ROOT, "f").nodeId();
        guest.open(node, LibcFs.O_RDONLY);
        guest.call(FuseOpcode.DESTROY, 0, new byte[0]).ok();
        assertEquals(1, guest.fs.liveNodes());
        assertEquals(0, guest.fs.openHandles());
        assertEquals(FuseErrno.EIO, -guest.getattr(ROOT).error(), "nothing but INIT after DESTROY");
        guest.init();
        guest.lookup(ROOT, "f");
    }
}
