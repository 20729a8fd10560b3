package dev.flint.virtio.fs;

import dev.flint.virtio.queue.MockDriver;
import dev.flint.vmm.sys.LibcFs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.flint.virtio.fs.FuseDriver.Args;
import static dev.flint.virtio.fs.FuseDriver.ROOT;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Errors from the host file system, stale ids, and short or malformed requests. */
class FuseErrorPathsTest {
    @TempDir
    Path share;

    private FuseDriver guest;

    @BeforeEach
    void mount() throws Exception {
        guest = new FuseDriver(share, false);
    }

    @AfterEach
    void unmount() {
        guest.close();
    }

    private static void errno(int expected, FuseDriver.Reply reply) {
        assertEquals(-expected, reply.error(), "expected errno " + expected);
        assertEquals(FuseReply.HEADER_BYTES, reply.used(), "an error reply is the out header alone");
    }

    @Test
    void everythingButInitIsEioBeforeInit() {
        errno(FuseErrno.EIO, guest.lookupReply(ROOT, "x"));
        errno(FuseErrno.EIO, guest.getattr(ROOT));
        guest.init();
        guest.getattr(ROOT).ok();
    }

    @Test
    void hostErrorsComeBackAsTheirErrno() throws Exception {
        guest.init();
        Files.createDirectory(share.resolve("dir"));
        Files.createFile(share.resolve("dir/inner"));
        Files.createFile(share.resolve("file"));
        errno(FuseErrno.ENOENT, guest.lookupReply(ROOT, "missing"));
        errno(FuseErrno.EEXIST, guest.mkdir(ROOT, "dir", 0755));
        errno(FuseErrno.EEXIST, guest.createReply(ROOT, "file", LibcFs.O_RDWR | LibcFs.O_EXCL, 0644));
        errno(FuseErrno.EEXIST, guest.symlink(ROOT, "file", "x"));
        errno(FuseErrno.ENOTEMPTY, guest.rmdir(ROOT, "dir"));
        errno(FuseErrno.EISDIR, guest.unlink(ROOT, "dir"));
        errno(FuseErrno.ENOTDIR, guest.rmdir(ROOT, "file"));
        long file = guest.lookup(ROOT, "file").nodeId();
        errno(FuseErrno.ENOTDIR, guest.lookupReply(file, "x"));
        errno(FuseErrno.ENOTDIR, guest.opendirReply(file));
        errno(FuseErrno.EISDIR, guest.openReply(ROOT, LibcFs.O_RDONLY));
        errno(FuseErrno.ENOENT, guest.rename(ROOT, "missing", ROOT, "other"));
        errno(FuseErrno.ENAMETOOLONG, guest.lookupReply(ROOT, "n".repeat(256)));
    }

    @Test
    void unknownHandlesAndNodesAreEbadf() {
        guest.init();
        errno(FuseErrno.EBADF, guest.read(77, 0, 10));
        errno(FuseErrno.EBADF, guest.write(77, 0, new byte[3]));
        errno(FuseErrno.EBADF, guest.release(77));
        errno(FuseErrno.EBADF, guest.releasedir(77));
        errno(FuseErrno.EBADF, guest.readdir(77, 0, 4096, false));
        errno(FuseErrno.EBADF, guest.call(FuseOpcode.FLUSH, 0, Args.of().u64(77).u32(0).u32(0).u64(0).build()));
        errno(FuseErrno.EBADF, guest.call(FuseOpcode.FSYNC, 0, Args.of().u64(77).u32(0).u32(0).build()));
        errno(FuseErrno.EBADF, guest.call(FuseOpcode.LSEEK, 0, Args.of().u64(77).u64(0).u32(0).u32(0).build()));
        errno(FuseErrno.EBADF, guest.getattr(12345));
        errno(FuseErrno.EBADF, guest.lookupReply(12345, "x"));
        long dirFh = guest.opendirReply(ROOT).ok().buffer().getLong(0);
        errno(FuseErrno.EBADF, guest.read(dirFh, 0, 10));
        errno(FuseErrno.EBADF, guest.release(dirFh));
        guest.releasedir(dirFh).ok();
        errno(FuseErrno.EBADF, guest.releasedir(dirFh));
    }

    @Test
    void shortOrMalformedArgumentsAreEinval() {
        guest.init();
        errno(FuseErrno.EINVAL, guest.call(FuseOpcode.LOOKUP, ROOT, "no-nul".getBytes()));
        errno(FuseErrno.EINVAL, guest.call(FuseOpcode.READ, 0, new byte[8]));
        errno(FuseErrno.EINVAL, guest.call(FuseOpcode.SETATTR, ROOT, new byte[40]));
        errno(FuseErrno.EINVAL, guest.call(FuseOpcode.MKDIR, ROOT, Args.of().u32(0755).build()));
        assertEquals(0, guest.post(guest.hiprio, VirtioFs.HIPRIO, FuseOpcode.BATCH_FORGET, 0,
                Args.of().u32(3).u32(0).u64(ROOT).u64(1).build()), "a short BATCH_FORGET still gets no reply");
        long fh = guest.create(ROOT, "f", LibcFs.O_RDWR, 0644)[1];
        byte[] claimsMore = Args.of().u64(fh).u64(0).u32(1000).u32(0).u64(0).u32(0).u32(0).bytes(new byte[10]).build();
        errno(FuseErrno.EINVAL, guest.call(FuseOpcode.WRITE, 0, claimsMore));
        errno(FuseErrno.EINVAL, guest.call(FuseOpcode.LOOKUP, ROOT, new byte[]{(byte) 0xff, (byte) 0xfe, 0}));
    }

    @Test
    void aHeaderWhoseLengthDisagreesWithTheChainIsEinval() {
        guest.init();
        byte[] args = Args.of().name("x").build();
        FuseDriver.Reply longer = guest.raw(4096, FuseDriver.header(FuseInHeader.BYTES + args.length + 100,
                FuseOpcode.LOOKUP, 9, ROOT), args);
        assertEquals(-FuseErrno.EINVAL, longer.error());
        assertEquals(9, longer.unique());
        FuseDriver.Reply shorter = guest.raw(4096, FuseDriver.header(12, FuseOpcode.LOOKUP, 10, ROOT), args);
        assertEquals(-FuseErrno.EINVAL, shorter.error());
    }

    @Test
    void requestsWithoutAHeaderOrRoomForAReplyAreDroppedWithNothingWritten() {
        guest.init();
        assertEquals(0, guest.submit(MockDriver.Part.read(new byte[20]), MockDriver.Part.write(64)), "no full header");
        byte[] args = Args.of().name("x").build();
        assertEquals(0, guest.submit(MockDriver.Part.read(FuseDriver.header(FuseInHeader.BYTES + args.length,
                FuseOpcode.LOOKUP, 11, ROOT)), MockDriver.Part.read(args)), "nowhere to put the out header");
        assertEquals(0, guest.broken.get(), "a bad request is answered or dropped; the device keeps going");
        guest.getattr(ROOT).ok();
    }

    @Test
    void aReplyTooBigForTheGuestsBufferIsErange() throws Exception {
        guest.init();
        Files.createFile(share.resolve("f"));
        FuseDriver.Reply reply = guest.call(FuseOpcode.LOOKUP, ROOT, FuseReply.HEADER_BYTES + 40, Args.of().name("f").build());
        assertEquals(-FuseErrno.ERANGE, reply.error());
    }

    @Test
    void aChainOutsideGuestMemoryBreaksTheDevice() {
        guest.init();
        guest.requests.descriptor(guest.requests.descAddress(), 200, (96L << 20) - 8, 64, 0, 0);
        guest.requests.publish(200);
        guest.fs.queueNotify(VirtioFs.REQUESTS);
        assertEquals(1, guest.broken.get());
        assertEquals(-1, guest.submit(MockDriver.Part.read(new byte[40]), MockDriver.Part.write(16)),
                "a broken device serves nothing until reset");
    }

    @Test
    void notificationsForQueuesThatDoNotExistAreIgnored() {
        guest.init();
        guest.fs.queueNotify(7);
        guest.fs.queueNotify(-1);
        assertEquals(0, guest.broken.get());
        assertEquals(FuseEncoding.ATTR_OUT_BYTES, guest.getattr(ROOT).ok().payload().length);
    }
}
