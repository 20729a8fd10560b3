package dev.flint.virtio.fs;

import dev.flint.vmm.memory.GuestMemory;
import dev.flint.vmm.memory.MemoryRange;
import dev.flint.vmm.sys.LibcFs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static dev.flint.virtio.fs.FuseDriver.Args;
import static dev.flint.virtio.fs.FuseDriver.ROOT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A host share's caps on what the guest makes the server hold, each a host fd: nodes (ENFILE
 * past the cap) and open handles (EMFILE). Small caps here; the real ones are
 * {@link InodeTable#MAX_NODES} and {@link HandleTable#MAX_OPEN}.
 */
class FuseLimitsTest {
    private static final int NODES = 4; // the root and three more
    private static final int HANDLES = 3;

    @TempDir
    Path share;

    private FuseDriver guest;

    @BeforeEach
    void mount() throws Exception {
        for (String name : List.of("a", "b", "c", "d")) {
            Files.writeString(share.resolve(name), name);
        }
        VirtioFs fs = new VirtioFs("share", new FuseServer(new HostFileSystem(share, false, NODES, HANDLES)));
        guest = new FuseDriver(fs, GuestMemory.onHeap(List.of(new MemoryRange(0, 96L << 20))));
        guest.init();
    }

    @AfterEach
    void unmount() {
        guest.close();
    }

    private static void errno(int expected, FuseDriver.Reply reply) {
        assertEquals(-expected, reply.error(), "expected errno " + expected);
    }

    private static long hostFds() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    @Test
    void nodesPastTheCapAreEnfileAndComeBackWithForget() throws Exception {
        long a = guest.lookup(ROOT, "a").nodeId();
        guest.lookup(ROOT, "b");
        guest.lookup(ROOT, "c");
        assertEquals(NODES, guest.fs.liveNodes());
        long fds = hostFds();

        errno(FuseErrno.ENFILE, guest.lookupReply(ROOT, "d"));
        assertEquals(a, guest.lookup(ROOT, "a").nodeId(), "a node the guest holds is still found");
        errno(FuseErrno.ENFILE, guest.mkdir(ROOT, "dir", 0755));
        errno(FuseErrno.ENFILE, guest.mknod(ROOT, "node", 0644));
        errno(FuseErrno.ENFILE, guest.symlink(ROOT, "link", "a"));
        errno(FuseErrno.ENFILE, guest.createReply(ROOT, "new", LibcFs.O_RDWR, 0644));
        for (String refused : List.of("dir", "node", "link", "new")) {
            assertFalse(Files.exists(share.resolve(refused), java.nio.file.LinkOption.NOFOLLOW_LINKS),
                    refused + " was refused before anything was made on the host");
        }
        assertEquals(NODES, guest.fs.liveNodes());
        assertEquals(fds, hostFds(), "no host fd leaked by the refusals");

        guest.post(guest.hiprio, VirtioFs.HIPRIO, FuseOpcode.FORGET, a, Args.of().u64(2).build());
        guest.lookup(ROOT, "d");
        assertEquals(NODES, guest.fs.liveNodes(), "a forgotten node makes room");
    }

    @Test
    void handlesPastTheCapAreEmfileAndComeBackWithRelease() throws Exception {
        long a = guest.lookup(ROOT, "a").nodeId();
        long first = guest.open(a, LibcFs.O_RDONLY);
        guest.open(a, LibcFs.O_RDONLY);
        guest.open(a, LibcFs.O_RDONLY);
        assertEquals(HANDLES, guest.fs.openHandles());
        long fds = hostFds();

        errno(FuseErrno.EMFILE, guest.openReply(a, LibcFs.O_RDONLY));
        errno(FuseErrno.EMFILE, guest.opendirReply(ROOT));
        errno(FuseErrno.EMFILE, guest.createReply(ROOT, "new", LibcFs.O_RDWR, 0644));
        assertFalse(Files.exists(share.resolve("new")), "CREATE was refused before the file was made");
        assertEquals(HANDLES, guest.fs.openHandles());
        assertEquals(fds, hostFds(), "no host fd leaked by the refusals");

        guest.release(first).ok();
        long again = guest.open(a, LibcFs.O_RDONLY);
        assertTrue(again > first, "handles are never reused");
        assertEquals(HANDLES, guest.fs.openHandles());
    }
}
