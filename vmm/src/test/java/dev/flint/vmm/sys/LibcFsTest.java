package dev.flint.vmm.sys;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The file-system bindings against a temporary directory, checked through java.nio's own view of the files. */
class LibcFsTest {
    @TempDir
    Path dir;

    private final List<Integer> fds = new ArrayList<>();

    @AfterEach
    void closeFds() {
        fds.forEach(Libc::close);
    }

    private int track(int fd) {
        assertTrue(fd >= 0, "expected a file descriptor, got " + fd);
        fds.add(fd);
        return fd;
    }

    private int openDir() {
        return track(LibcFs.openat(LibcFs.AT_FDCWD, dir.toString(), LibcFs.O_PATH | LibcFs.O_DIRECTORY | LibcFs.O_CLOEXEC, 0));
    }

    @Test
    void fstatatOnAnOPathFdSeesTheSameInodeAsJava() throws Exception {
        Files.write(dir.resolve("f"), new byte[1234]);
        int root = openDir();
        int fd = track(LibcFs.openat(root, "f", LibcFs.O_PATH | LibcFs.O_NOFOLLOW | LibcFs.O_CLOEXEC, 0));
        try (Arena arena = Arena.ofConfined()) {
            Stat stat = Stat.allocate(arena);
            assertEquals(0, LibcFs.fstatat(fd, "", stat.segment(), LibcFs.AT_EMPTY_PATH | LibcFs.AT_SYMLINK_NOFOLLOW));
            assertEquals(((Number) Files.getAttribute(dir.resolve("f"), "unix:ino")).longValue(), stat.ino());
            assertEquals(((Number) Files.getAttribute(dir.resolve("f"), "unix:dev")).longValue(), stat.dev());
            assertEquals(1234, stat.size());
            assertEquals(Stat.S_IFREG, stat.type());
            assertEquals(1, stat.nlink());
            assertEquals(Files.getLastModifiedTime(dir.resolve("f")).toInstant().getEpochSecond(), stat.mtimeSeconds());
        }
        assertEquals(-Errno.ENOENT, LibcFs.openat(root, "missing", LibcFs.O_PATH, 0), "errors come back as -errno");
    }

    @Test
    void preadAndPwriteWorkOnNativeAndHeapSegments() throws Exception {
        int root = openDir();
        int fd = track(LibcFs.openat(root, "data", LibcFs.O_RDWR | LibcFs.O_CREAT | LibcFs.O_CLOEXEC, 0644));
        byte[] text = "hello, guest".getBytes(StandardCharsets.US_ASCII);
        assertEquals(text.length, LibcFs.pwrite(fd, MemorySegment.ofArray(text), 0));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment nativeBuffer = arena.allocate(5);
            assertEquals(5, LibcFs.pread(fd, nativeBuffer, 7));
            assertEquals("guest", new String(nativeBuffer.toArray(JAVA_BYTE), StandardCharsets.US_ASCII));
            assertEquals(3, LibcFs.pwrite(fd, arena.allocateFrom("HEL", StandardCharsets.US_ASCII).asSlice(0, 3), 0));
        }
        byte[] heap = new byte[4];
        assertEquals(4, LibcFs.pread(fd, MemorySegment.ofArray(heap), 0));
        assertEquals("HELl", new String(heap, StandardCharsets.US_ASCII));
        assertEquals(0, LibcFs.ftruncate(fd, 2));
        assertEquals(2, Files.size(dir.resolve("data")));
        assertEquals(0, LibcFs.fsync(fd));
        assertEquals(0, LibcFs.fdatasync(fd));
        assertEquals(-Errno.EBADF, LibcFs.pread(-1, MemorySegment.ofArray(heap), 0));
    }

    @Test
    void lseekFindsDataAndHoles() throws Exception {
        int root = openDir();
        int fd = track(LibcFs.openat(root, "sparse", LibcFs.O_RDWR | LibcFs.O_CREAT | LibcFs.O_CLOEXEC, 0644));
        assertEquals(0, LibcFs.ftruncate(fd, 1 << 20));
        assertEquals(1, LibcFs.pwrite(fd, MemorySegment.ofArray(new byte[]{1}), 1 << 19));
        long data = LibcFs.lseek(fd, 0, LibcFs.SEEK_DATA);
        assertTrue(data >= 0 && data <= 1 << 19, "data at " + data);
        assertEquals(1 << 20, LibcFs.lseek(fd, 0, LibcFs.SEEK_END));
        assertEquals(-Errno.ENXIO, LibcFs.lseek(fd, 2 << 20, LibcFs.SEEK_DATA), "past the end there is no data");
    }

    @Test
    void directoryCallsAreRelativeToTheDirectoryFd() throws Exception {
        int root = openDir();
        assertEquals(0, LibcFs.mkdirat(root, "sub", 0755));
        assertTrue(Files.isDirectory(dir.resolve("sub")));
        assertEquals(-Errno.EEXIST, LibcFs.mkdirat(root, "sub", 0755));
        assertEquals(0, LibcFs.mknodat(root, "plain", Stat.S_IFREG | 0600, 0));
        assertTrue(Files.isRegularFile(dir.resolve("plain")));
        assertEquals(0, LibcFs.symlinkat("../outside", root, "link"));
        try (Arena arena = Arena.ofConfined()) {
            int link = track(LibcFs.openat(root, "link", LibcFs.O_PATH | LibcFs.O_NOFOLLOW | LibcFs.O_CLOEXEC, 0));
            MemorySegment buffer = arena.allocate(64);
            long length = LibcFs.readlinkat(link, "", buffer);
            assertEquals("../outside", new String(buffer.asSlice(0, length).toArray(JAVA_BYTE), StandardCharsets.UTF_8));
        }
        assertEquals(0, LibcFs.renameat2(root, "plain", root, "sub2", 0));
        Files.createFile(dir.resolve("other"));
        assertEquals(-Errno.EEXIST, LibcFs.renameat2(root, "other", root, "sub2", LibcFs.RENAME_NOREPLACE));
        Files.createFile(dir.resolve("sub/inner"));
        assertEquals(-39, LibcFs.unlinkat(root, "sub", LibcFs.AT_REMOVEDIR), "ENOTEMPTY");
        assertEquals(0, LibcFs.unlinkat(root, "other", 0));
        assertTrue(Files.notExists(dir.resolve("other")));
    }

    @Test
    void linkAndChmodThroughProcSelfFdReachTheExactInode() throws Exception {
        Files.write(dir.resolve("original"), new byte[]{42});
        int root = openDir();
        int proc = track(LibcFs.openat(LibcFs.AT_FDCWD, "/proc/self/fd", LibcFs.O_PATH | LibcFs.O_DIRECTORY | LibcFs.O_CLOEXEC, 0));
        int fd = track(LibcFs.openat(root, "original", LibcFs.O_PATH | LibcFs.O_NOFOLLOW | LibcFs.O_CLOEXEC, 0));
        assertEquals(0, LibcFs.linkat(proc, Integer.toString(fd), root, "hardlink", LibcFs.AT_SYMLINK_FOLLOW));
        assertEquals(Files.getAttribute(dir.resolve("original"), "unix:ino"), Files.getAttribute(dir.resolve("hardlink"), "unix:ino"));
        assertEquals(0, LibcFs.fchmodat(proc, Integer.toString(fd), 0640));
        assertEquals(PosixFilePermissions.fromString("rw-r-----"), Files.getPosixFilePermissions(dir.resolve("original")));
        assertEquals(0, LibcFs.utimensat(fd, "", 0, LibcFs.UTIME_OMIT, 1_000_000, 0, LibcFs.AT_EMPTY_PATH));
        assertEquals(FileTime.fromMillis(1_000_000_000L), Files.getLastModifiedTime(dir.resolve("original")));
        assertEquals(0, LibcFs.fchownat(fd, "", -1, -1, LibcFs.AT_EMPTY_PATH | LibcFs.AT_SYMLINK_NOFOLLOW));
        assertEquals(0, LibcFs.faccessat(proc, Integer.toString(fd), LibcFs.R_OK));
        int reopened = track(LibcFs.openat(proc, Integer.toString(fd), LibcFs.O_RDONLY | LibcFs.O_CLOEXEC, 0));
        byte[] one = new byte[1];
        assertEquals(1, LibcFs.pread(reopened, MemorySegment.ofArray(one), 0));
        assertEquals(42, one[0]);
    }

    @Test
    void linkOfASymlinkThroughProcLinksTheSymlinkItself() throws Exception {
        Files.createSymbolicLink(dir.resolve("sym"), Path.of("/etc/hostname"));
        int root = openDir();
        int proc = track(LibcFs.openat(LibcFs.AT_FDCWD, "/proc/self/fd", LibcFs.O_PATH | LibcFs.O_DIRECTORY | LibcFs.O_CLOEXEC, 0));
        int fd = track(LibcFs.openat(root, "sym", LibcFs.O_PATH | LibcFs.O_NOFOLLOW | LibcFs.O_CLOEXEC, 0));
        assertEquals(0, LibcFs.linkat(proc, Integer.toString(fd), root, "sym2", LibcFs.AT_SYMLINK_FOLLOW));
        assertTrue(Files.isSymbolicLink(dir.resolve("sym2")));
    }

    @Test
    void getdents64ListsEveryName() throws Exception {
        Files.createFile(dir.resolve("a"));
        Files.createDirectory(dir.resolve("b"));
        int fd = track(LibcFs.openat(LibcFs.AT_FDCWD, dir.toString(), LibcFs.O_RDONLY | LibcFs.O_DIRECTORY | LibcFs.O_CLOEXEC, 0));
        List<String> names = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(4096);
            for (long n; (n = LibcFs.getdents64(fd, buffer)) > 0; ) {
                for (long at = 0; at < n; ) {
                    Dirent64 entry = Dirent64.read(buffer.asSlice(0, n), at);
                    names.add(entry.nameString() + ":" + entry.type());
                    at += entry.recordLength();
                }
            }
            assertEquals(0, LibcFs.lseek(fd, 0, LibcFs.SEEK_SET));
            StatFs statfs = StatFs.allocate(arena);
            assertEquals(0, LibcFs.fstatfs(fd, statfs.segment()));
            assertTrue(statfs.blockSize() > 0 && statfs.nameLength() >= 255, "bsize " + statfs.blockSize());
        }
        names.sort(null);
        assertEquals(List.of("..:4", ".:4", "a:8", "b:4"), names, "sorted as strings; DT_DIR 4, DT_REG 8");
        assertTrue(Files.exists(dir.resolve("a"), LinkOption.NOFOLLOW_LINKS));
    }
}
