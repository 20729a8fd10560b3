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
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;

import static dev.flint.virtio.fs.FuseDriver.Args;
import static dev.flint.virtio.fs.FuseDriver.ROOT;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** A read-only share refuses every modifying request with EROFS and leaves the host tree exactly as it was. */
class FuseReadOnlyTest {
    @TempDir
    Path share;

    private FuseDriver guest;
    private List<String> before;

    private List<String> snapshot() throws Exception {
        try (Stream<Path> walk = Files.walk(share)) {
            return walk.map(p -> {
                try {
                    return share.relativize(p) + " " + Files.getAttribute(p, "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS)
                            + " " + (Files.isRegularFile(p) ? Files.readString(p) : "")
                            + " " + Files.getLastModifiedTime(p, java.nio.file.LinkOption.NOFOLLOW_LINKS);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }).sorted().toList();
        }
    }

    @BeforeEach
    void mount() throws Exception {
        Files.writeString(share.resolve("file"), "content");
        Files.createDirectory(share.resolve("dir"));
        Files.createDirectory(share.resolve("empty"));
        Files.setLastModifiedTime(share.resolve("file"), FileTime.fromMillis(1_000_000));
        before = snapshot();
        guest = new FuseDriver(share, true);
        guest.init();
    }

    @AfterEach
    void unmount() throws Exception {
        guest.close();
        assertEquals(before, snapshot(), "the host tree is unchanged");
    }

    private static void erofs(FuseDriver.Reply reply) {
        assertEquals(FuseErrno.EROFS, -reply.error());
    }

    @Test
    void everyModifyingRequestIsErofs() {
        long file = guest.lookup(ROOT, "file").nodeId();
        long dir = guest.lookup(ROOT, "dir").nodeId();
        erofs(guest.createReply(ROOT, "new", LibcFs.O_RDWR, 0644));
        erofs(guest.mkdir(ROOT, "newdir", 0755));
        erofs(guest.mknod(ROOT, "node", Stat.S_IFREG | 0644));
        erofs(guest.unlink(ROOT, "file"));
        erofs(guest.rmdir(ROOT, "empty"));
        erofs(guest.rename(ROOT, "file", dir, "file"));
        erofs(guest.rename2(ROOT, "file", ROOT, "dir", LibcFs.RENAME_EXCHANGE));
        erofs(guest.symlink(ROOT, "link", "file"));
        erofs(guest.link(file, dir, "hard"));
        erofs(guest.setattr(file, NodeOperations.FATTR_SIZE, 0, 0, 0, 0, 0));
        erofs(guest.setattr(file, NodeOperations.FATTR_MODE, 0, 0, 0, 0, 0777));
        erofs(guest.setattr(file, NodeOperations.FATTR_MTIME, 0, 0, 0, 5, 0));
        erofs(guest.call(FuseOpcode.ACCESS, file, Args.of().u32(LibcFs.W_OK).u32(0).build()));
    }

    @Test
    void openingForWriteIsErofsAndWriteOnAReadHandleToo() {
        long file = guest.lookup(ROOT, "file").nodeId();
        erofs(guest.openReply(file, LibcFs.O_WRONLY));
        erofs(guest.openReply(file, LibcFs.O_RDWR));
        erofs(guest.openReply(file, LibcFs.O_RDONLY | LibcFs.O_TRUNC));
        long fh = guest.open(file, LibcFs.O_RDONLY);
        erofs(guest.write(fh, 0, "x".getBytes(StandardCharsets.UTF_8)));
        assertEquals(1, guest.fs.openHandles(), "only the read-only open succeeded");
    }

    @Test
    void readingStillWorks() {
        long file = guest.lookup(ROOT, "file").nodeId();
        long fh = guest.open(file, LibcFs.O_RDONLY);
        assertEquals("content", new String(guest.read(fh, 0, 100).ok().payload(), StandardCharsets.UTF_8));
        long dirFh = guest.opendirReply(ROOT).ok().buffer().getLong(0);
        assertEquals(5, FuseDriver.direntNames(guest.readdir(dirFh, 0, 4096, true).ok().payload(), true).size());
        guest.call(FuseOpcode.ACCESS, file, Args.of().u32(LibcFs.R_OK).u32(0).build()).ok();
        guest.call(FuseOpcode.STATFS, ROOT, new byte[0]).ok();
        guest.getattr(file).ok();
    }
}
