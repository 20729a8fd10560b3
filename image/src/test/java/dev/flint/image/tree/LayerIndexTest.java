package dev.flint.image.tree;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every header form the index reads, and that the data offsets it records point at each file's bytes. */
class LayerIndexTest {
    @TempDir
    Path dir;

    private static TarEntry entry(LayerIndex index, String path) {
        return index.entries().stream().filter(e -> e.path().equals(path)).findFirst()
                .orElseThrow(() -> new AssertionError("no entry " + path + " in " + index.entries()));
    }

    private static byte[] bytesAt(Path tar, long offset, int length) throws Exception {
        try (RandomAccessFile file = new RandomAccessFile(tar.toFile(), "r")) {
            byte[] data = new byte[length];
            file.seek(offset);
            file.readFully(data);
            return data;
        }
    }

    @Test
    void everyTypeWithItsModeOwnerDeviceAndDataOffset() throws Exception {
        TestTar tar = new TestTar();
        tar.member("./usr/", '5', 0755, 0, 0, new byte[0], "", 0, 0, Map.of());
        byte[] big = new byte[1300];
        Arrays.fill(big, (byte) 'b');
        big[1299] = 'z';
        tar.member("./usr/bin/su", '0', 04755, 0, 0, big, "", 0, 0, Map.of());
        long suOffset = tar.lastDataOffset;
        tar.member("usr/bin/other", '0', 02711, 1000, 50, "second".getBytes(StandardCharsets.UTF_8), "", 0, 0, Map.of());
        long otherOffset = tar.lastDataOffset;
        tar.member("/tmp/", '5', 01777, 0, 0, new byte[0], "", 0, 0, Map.of());
        tar.member("dev/null", '3', 0666, 0, 0, new byte[0], "", 1, 3, Map.of());
        tar.member("dev/sda", '4', 0660, 0, 6, new byte[0], "", 8, 0, Map.of());
        tar.member("run/fifo", '6', 0600, 0, 0, new byte[0], "", 0, 0, Map.of());
        tar.symlink("bin", "usr/bin");
        tar.hardlink("usr/bin/su2", "./usr/bin/su");
        tar.member("old/dir/", '0', 0700, 0, 0, new byte[0], "", 0, 0, Map.of());
        Path path = tar.writeTo(dir.resolve("layer.tar"));

        LayerIndex index = LayerIndex.scan(path);
        assertEquals(path, index.tar());
        assertEquals(10, index.entries().size());
        TarEntry usr = entry(index, "usr");
        assertEquals(EntryType.DIRECTORY, usr.type());
        TarEntry su = entry(index, "usr/bin/su");
        assertEquals(EntryType.FILE, su.type());
        assertEquals(04755, su.permissions());
        assertEquals(1300, su.size());
        assertEquals(suOffset, su.dataOffset());
        assertArrayEquals(big, bytesAt(path, su.dataOffset(), (int) su.size()));
        TarEntry other = entry(index, "usr/bin/other");
        assertEquals(02711, other.permissions());
        assertEquals(1000, other.uid());
        assertEquals(50, other.gid());
        assertEquals("root", other.userName());
        assertEquals(1_700_000_000L, other.mtimeSeconds());
        assertEquals(otherOffset, other.dataOffset());
        assertEquals("second", new String(bytesAt(path, other.dataOffset(), 6), StandardCharsets.UTF_8));
        assertEquals(01777, entry(index, "tmp").permissions());
        TarEntry nul = entry(index, "dev/null");
        assertEquals(EntryType.CHAR_DEVICE, nul.type());
        assertEquals(1, nul.deviceMajor());
        assertEquals(3, nul.deviceMinor());
        assertEquals(EntryType.BLOCK_DEVICE, entry(index, "dev/sda").type());
        assertEquals(8, entry(index, "dev/sda").deviceMajor());
        assertEquals(EntryType.FIFO, entry(index, "run/fifo").type());
        assertEquals("usr/bin", entry(index, "bin").linkTarget());
        assertEquals(EntryType.SYMLINK, entry(index, "bin").type());
        assertEquals("usr/bin/su", entry(index, "usr/bin/su2").linkTarget(), "hard-link targets are normalized");
        assertEquals(EntryType.DIRECTORY, entry(index, "old/dir").type(), "a V7 directory: type 0, name ending in /");
        assertEquals("su", su.name());
        assertEquals("usr/bin", su.parent());
    }

    @Test
    void ustarPrefixGnuLongNamesAndLongLinks() throws Exception {
        String longName = "a/" + "n".repeat(150) + "/file";
        String longLink = "t/" + "l".repeat(200);
        byte[] prefixed = TestTar.header("name", '0', 0644, 0, 0, 0, "", 0, 0);
        TestTar.put(prefixed, 345, "some/prefix");
        Path path = new TestTar()
                .raw(prefixed, new byte[0])
                .gnuLong('L', longName).gnuLong('K', longLink)
                .member("short", '2', 0777, 0, 0, new byte[0], "x", 0, 0, Map.of())
                .gnuLong('L', longName + "2")
                .file("ignored", "data")
                .writeTo(dir.resolve("gnu.tar"));
        LayerIndex index = LayerIndex.scan(path);
        assertEquals(List.of("some/prefix/name", longName, longName + "2"),
                index.entries().stream().map(TarEntry::path).toList());
        assertEquals(longLink, index.entries().get(1).linkTarget());
        assertEquals("data", new String(bytesAt(path, index.entries().get(2).dataOffset(), 4), StandardCharsets.UTF_8));
    }

    @Test
    void paxOverridesAndXattrs() throws Exception {
        String longName = "deep/" + "p".repeat(250) + "/" + "p".repeat(100);
        Map<String, byte[]> records = TestTar.pax("path", longName, "uid", "4000000000", "gid", "77",
                "uname", "üser", "gname", "grp", "mtime", "1234567890.75", "linkpath", "elsewhere/" + "q".repeat(120),
                "SCHILY.xattr.security.capability", "\u0001\u0000");
        records.put("SCHILY.xattr.user.raw", new byte[]{0, (byte) 0xff, '\n', '='});
        records.put("LIBARCHIVE.xattr.user.we%20ird", Base64.getEncoder().encode(new byte[]{1, 2, 3}));
        Path path = new TestTar()
                .member("short", '2', 0777, 0, 0, new byte[0], "short-link", 0, 0, records)
                .file("after", "x")
                .writeTo(dir.resolve("pax.tar"));
        LayerIndex index = LayerIndex.scan(path);
        TarEntry link = index.entries().get(0);
        assertEquals(longName, link.path());
        assertEquals("elsewhere/" + "q".repeat(120), link.linkTarget());
        assertEquals(4_000_000_000L, link.uid());
        assertEquals(77, link.gid());
        assertEquals("üser", link.userName());
        assertEquals("grp", link.groupName());
        assertEquals(1234567890L, link.mtimeSeconds());
        assertArrayEquals(new byte[]{1, 0}, link.xattrs().get("security.capability"));
        assertArrayEquals(new byte[]{0, (byte) 0xff, '\n', '='}, link.xattrs().get("user.raw"));
        assertArrayEquals(new byte[]{1, 2, 3}, link.xattrs().get("user.we ird"));
        TarEntry after = index.entries().get(1);
        assertEquals("after", after.path(), "PAX records apply to one member only");
        assertEquals(0, after.uid());
        assertTrue(after.xattrs().isEmpty());
    }

    @Test
    void paxSizeOverridesTheHeaderAndGlobalHeadersSetDefaults() throws Exception {
        byte[] header = TestTar.header("sized", '0', 0644, 0, 0, 0, "", 0, 0);
        Path path = new TestTar()
                .global(TestTar.pax("uid", "42", "SCHILY.xattr.user.g", "global"))
                .file("first", "1")
                .member("x", 'x', 0, 0, 0, TestTar.paxRecords(TestTar.pax("size", "5", "uid", "7")), "", 0, 0, Map.of())
                .raw(header, "hello".getBytes(StandardCharsets.UTF_8))
                .file("last", "2")
                .writeTo(dir.resolve("global.tar"));
        LayerIndex index = LayerIndex.scan(path);
        assertEquals(List.of("first", "sized", "last"), index.entries().stream().map(TarEntry::path).toList());
        assertEquals(42, index.entries().get(0).uid());
        assertArrayEquals("global".getBytes(StandardCharsets.UTF_8), index.entries().get(0).xattrs().get("user.g"));
        TarEntry sized = index.entries().get(1);
        assertEquals(5, sized.size());
        assertEquals(7, sized.uid(), "a local header wins over the global one");
        assertEquals("hello", new String(bytesAt(path, sized.dataOffset(), 5), StandardCharsets.UTF_8));
        assertEquals(42, index.entries().get(2).uid());
        assertEquals("2", new String(bytesAt(path, index.entries().get(2).dataOffset(), 1), StandardCharsets.UTF_8));
    }

    @Test
    void base256NumbersAreRead() throws Exception {
        byte[] header = TestTar.header("huge", '0', 0644, 0, 0, 0, "", 0, 0);
        Arrays.fill(header, 108, 116, (byte) 0);
        header[108] = (byte) 0x80;
        header[112] = (byte) 0xee; // uid 0xee6b2800 = 4000000000
        header[113] = 0x6b;
        header[114] = 0x28;
        header[115] = 0x00;
        Arrays.fill(header, 124, 136, (byte) 0);
        header[124] = (byte) 0x80;
        header[135] = 3;
        Arrays.fill(header, 136, 148, (byte) 0);
        header[136] = (byte) 0xff; // mtime -1
        Arrays.fill(header, 137, 148, (byte) 0xff);
        Path path = new TestTar().raw(header, "abc".getBytes(StandardCharsets.UTF_8)).writeTo(dir.resolve("b256.tar"));
        TarEntry entry = LayerIndex.scan(path).entries().getFirst();
        assertEquals(4_000_000_000L, entry.uid());
        assertEquals(3, entry.size());
        assertEquals(-1, entry.mtimeSeconds());
    }

    @Test
    void namesAreNormalizedAndEscapesSkipped() throws Exception {
        Path path = new TestTar()
                .file("../etc/passwd", "evil")
                .file("a/../../escape", "evil")
                .file("./a/./b/../c", "ok")
                .file("//abs/file", "ok")
                .hardlink("link-out", "../../etc/shadow")
                .member("pax", '0', 0644, 0, 0, new byte[0], "", 0, 0, TestTar.pax("path", "x/../../../root"))
                .writeTo(dir.resolve("escape.tar"));
        assertEquals(List.of("a/c", "abs/file"),
                LayerIndex.scan(path).entries().stream().map(TarEntry::path).toList());
    }

    @Test
    void pathsNamesAndTargetsLongerThanLinuxAllowsAreSkipped() throws Exception {
        String deep = "d/".repeat(2100) + "f";
        Path path = new TestTar()
                .member("deep", '0', 0644, 0, 0, new byte[0], "", 0, 0, TestTar.pax("path", deep))
                .member("wide", '0', 0644, 0, 0, new byte[0], "", 0, 0, TestTar.pax("path", "n".repeat(256)))
                .member("link", '2', 0777, 0, 0, new byte[0], "", 0, 0, TestTar.pax("linkpath", "t".repeat(4096)))
                .member("fits", '0', 0644, 0, 0, new byte[0], "", 0, 0, TestTar.pax("path", "n".repeat(255)))
                .writeTo(dir.resolve("long.tar"));
        assertEquals(List.of("n".repeat(255)), LayerIndex.scan(path).entries().stream().map(TarEntry::path).toList());
    }

    @Test
    void corruptAndTruncatedLayersAreRefusedWithWhatToDo() throws Exception {
        Path good = new TestTar().file("f", "x".repeat(2000)).writeTo(dir.resolve("good.tar"));
        byte[] bytes = Files.readAllBytes(good);
        bytes[0] ^= 1;
        Path corrupt = Files.write(dir.resolve("corrupt.tar"), bytes);
        InvalidLayerException bad = assertThrows(InvalidLayerException.class, () -> LayerIndex.scan(corrupt));
        assertTrue(bad.getMessage().contains("bad checksum"), bad.getMessage());
        Path truncated = Files.write(dir.resolve("truncated.tar"), Arrays.copyOf(Files.readAllBytes(good), 1024));
        InvalidLayerException cut = assertThrows(InvalidLayerException.class, () -> LayerIndex.scan(truncated));
        assertTrue(cut.getMessage().contains("truncated"), cut.getMessage());
        byte[] huge = TestTar.header("x", 'x', 0, 0, 0, LayerIndex.MAX_EXTENDED_HEADER + 1L, "", 0, 0);
        Path hostile = new TestTar().raw(huge, new byte[0]).writeTo(dir.resolve("hostile.tar"));
        assertThrows(InvalidLayerException.class, () -> LayerIndex.scan(hostile));
        assertThrows(InvalidLayerException.class, () -> LayerIndex.scan(dir.resolve("missing.tar")));
    }

    @Test
    void malformedPaxRecordsAreRefused() throws Exception {
        Path path = new TestTar()
                .member("x", 'x', 0, 0, 0, "99 path=x\n".getBytes(StandardCharsets.UTF_8), "", 0, 0, Map.of())
                .file("f", "1")
                .writeTo(dir.resolve("badpax.tar"));
        assertThrows(InvalidLayerException.class, () -> LayerIndex.scan(path));
        Path sparse = new TestTar()
                .member("s", '0', 0644, 0, 0, new byte[0], "", 0, 0, TestTar.pax("GNU.sparse.map", "0,0"))
                .writeTo(dir.resolve("sparse.tar"));
        InvalidLayerException e = assertThrows(InvalidLayerException.class, () -> LayerIndex.scan(sparse));
        assertTrue(e.getMessage().contains("sparse"));
    }
}
