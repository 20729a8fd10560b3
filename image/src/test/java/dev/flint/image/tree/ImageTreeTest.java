package dev.flint.image.tree;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Layer flattening: the OCI whiteout rules, hard links, and metadata preserved exactly. */
class ImageTreeTest {
    @TempDir
    Path dir;
    private int layers;

    private Path layer(TestTar tar) throws Exception {
        return tar.writeTo(dir.resolve("layer" + (layers++) + ".tar"));
    }

    private static ImageTree flatten(Path... tars) {
        return ImageTree.flatten(List.of(tars));
    }

    private static String text(ImageTree tree, String path) {
        return new String(tree.readFile(path).orElseThrow(() -> new AssertionError("no file " + path)),
                StandardCharsets.UTF_8);
    }

    private static boolean exists(ImageTree tree, String path) {
        return tree.lookup(path).isPresent();
    }

    private static TestTar base() {
        return new TestTar().dir("etc").file("etc/a", "a1").file("etc/b", "b1")
                .dir("etc/sub").file("etc/sub/deep", "d1").file("top", "t1");
    }

    @Test
    void upperLayersReplaceLowerFiles() throws Exception {
        ImageTree tree = flatten(layer(base()), layer(new TestTar().file("etc/a", "a2")));
        assertEquals("a2", text(tree, "/etc/a"));
        assertEquals("b1", text(tree, "etc/b"));
        assertEquals(List.of("etc", "top"), List.copyOf(tree.root().children().keySet()));
    }

    @Test
    void whiteoutFileDeletesAFile() throws Exception {
        ImageTree tree = flatten(layer(base()), layer(new TestTar().file("etc/.wh.a", "")));
        assertFalse(exists(tree, "etc/a"));
        assertFalse(exists(tree, "etc/.wh.a"), "whiteouts never appear");
        assertTrue(exists(tree, "etc/b"));
    }

    @Test
    void whiteoutOfADirectoryDeletesItsSubtree() throws Exception {
        ImageTree tree = flatten(layer(base()), layer(new TestTar().file(".wh.etc", "")));
        assertFalse(exists(tree, "etc"));
        assertFalse(exists(tree, "etc/sub/deep"));
        assertEquals(List.of("top"), List.copyOf(tree.root().children().keySet()));
    }

    @Test
    void whiteoutThenRecreateInTheSameLayerKeepsTheNewFileWhateverTheOrder() throws Exception {
        ImageTree recreatedAfter = flatten(layer(base()), layer(new TestTar().file("etc/.wh.a", "").file("etc/a", "new")));
        assertEquals("new", text(recreatedAfter, "etc/a"));
        ImageTree recreatedBefore = flatten(layer(base()), layer(new TestTar().file("etc/a", "new").file("etc/.wh.a", "")));
        assertEquals("new", text(recreatedBefore, "etc/a"), "a whiteout hides only lower layers");
        ImageTree dirRecreated = flatten(layer(base()), layer(new TestTar().file(".wh.etc", "").dir("etc").file("etc/only", "o")));
        assertEquals(List.of("only"), List.copyOf(dirRecreated.lookup("etc").orElseThrow().children().keySet()));
    }

    @Test
    void opaqueDirectoryHidesLowerContentButKeepsItsOwnLayersEntries() throws Exception {
        ImageTree tree = flatten(layer(base()), layer(new TestTar()
                .file("etc/new1", "n1").file("etc/.wh..wh..opq", "").dir("etc/sub").file("etc/sub/new2", "n2")));
        assertEquals(List.of("new1", "sub"), List.copyOf(tree.lookup("etc").orElseThrow().children().keySet()));
        assertEquals(List.of("new2"), List.copyOf(tree.lookup("etc/sub").orElseThrow().children().keySet()));
        assertTrue(exists(tree, "top"), "only the opaque directory is cleared");
        ImageTree onlyMarker = flatten(layer(base()), layer(new TestTar().file("etc/.wh..wh..opq", "")));
        assertTrue(onlyMarker.lookup("etc").orElseThrow().children().isEmpty());
        assertTrue(onlyMarker.lookup("etc").orElseThrow().isDirectory(), "the directory itself stays");
    }

    @Test
    void whiteoutsOfMissingNamesAreHarmless() throws Exception {
        ImageTree tree = flatten(layer(new TestTar().file(".wh.nothing", "").file("none/.wh..wh..opq", "")
                .file("keep", "k")));
        assertEquals(List.of("keep"), List.copyOf(tree.root().children().keySet()));
    }

    @Test
    void aFileReplacesADirectoryAndADirectoryAFile() throws Exception {
        ImageTree tree = flatten(layer(base()), layer(new TestTar().file("etc", "now a file").dir("top")
                .file("top/inside", "i")));
        assertEquals("now a file", text(tree, "etc"));
        assertTrue(tree.lookup("top").orElseThrow().isDirectory());
        assertEquals("i", text(tree, "top/inside"));
        ImageTree implicitOverFile = flatten(layer(base()), layer(new TestTar().file("top/x", "x")));
        assertTrue(implicitOverFile.lookup("top").orElseThrow().isDirectory(), "a deeper path turns a file into a directory");
    }

    @Test
    void implicitParentsAre0755RootOwned() throws Exception {
        ImageTree tree = flatten(layer(new TestTar().member("a/b/c", '0', 0600, 5, 6, "x".getBytes(), "", 0, 0, Map.of())));
        TreeNode a = tree.lookup("a").orElseThrow();
        assertEquals(TreeNode.S_IFDIR | 0755, a.mode());
        assertEquals(0, a.uid());
        assertEquals(0, a.gid());
        assertEquals(TreeNode.S_IFDIR | 0755, tree.root().mode());
        TreeNode c = tree.lookup("a/b/c").orElseThrow();
        assertEquals(TreeNode.S_IFREG | 0600, c.mode());
        assertEquals(5, c.uid());
        assertEquals(6, c.gid());
    }

    @Test
    void theRootEntryAndAnExistingDirectoryTakeNewMetadataAndKeepTheirChildren() throws Exception {
        ImageTree tree = flatten(layer(base().member("./", '5', 0700, 0, 0, new byte[0], "", 0, 0, Map.of())),
                layer(new TestTar().member("etc", '5', 0750, 3, 4, new byte[0], "", 0, 0, Map.of())));
        assertEquals(TreeNode.S_IFDIR | 0700, tree.root().mode());
        TreeNode etc = tree.lookup("etc").orElseThrow();
        assertEquals(TreeNode.S_IFDIR | 0750, etc.mode());
        assertEquals(3, etc.uid());
        assertTrue(etc.children().containsKey("a"));
    }

    @Test
    void hardLinksInOneLayerShareOneNode() throws Exception {
        ImageTree tree = flatten(layer(new TestTar().file("bin/busybox", "bb").hardlink("bin/sh", "bin/busybox")
                .hardlink("bin/ls", "./bin/busybox")));
        TreeNode busybox = tree.lookup("bin/busybox").orElseThrow();
        assertSame(busybox, tree.lookup("bin/sh").orElseThrow());
        assertSame(busybox, tree.lookup("bin/ls").orElseThrow());
        assertEquals(3, busybox.nlink());
        assertEquals("bb", text(tree, "bin/ls"));
    }

    @Test
    void hardLinksAcrossLayersShareTheLowerNodeAndCountLinks() throws Exception {
        Path lower = layer(new TestTar().file("usr/lib/libc.so", "libc").hardlink("usr/lib/libc.so.6", "usr/lib/libc.so"));
        Path upper = layer(new TestTar().hardlink("lib64/libc.so.6", "usr/lib/libc.so").file("usr/lib/.wh.libc.so", ""));
        ImageTree tree = flatten(lower, upper);
        TreeNode node = tree.lookup("lib64/libc.so.6").orElseThrow();
        assertSame(node, tree.lookup("usr/lib/libc.so.6").orElseThrow());
        assertFalse(exists(tree, "usr/lib/libc.so"));
        assertEquals(2, node.nlink(), "three names, one whited out");
        assertEquals(node.inode(), tree.lookup("usr/lib/libc.so.6").orElseThrow().inode());
        assertEquals("libc", text(tree, "lib64/libc.so.6"));
        ImageTree replaced = flatten(lower, layer(new TestTar().file("usr/lib/libc.so", "new")));
        assertEquals(1, replaced.lookup("usr/lib/libc.so.6").orElseThrow().nlink());
        assertNotSame(replaced.lookup("usr/lib/libc.so").orElseThrow(), replaced.lookup("usr/lib/libc.so.6").orElseThrow());
    }

    @Test
    void aHardLinkMayNameWhatItsOwnLayersOpaqueMarkerHides() throws Exception {
        ImageTree tree = flatten(layer(base()), layer(new TestTar().hardlink("kept", "etc/a").file("etc/.wh..wh..opq", "")));
        assertTrue(tree.lookup("etc").orElseThrow().children().isEmpty());
        assertEquals("a1", text(tree, "kept"));
        assertEquals(1, tree.lookup("kept").orElseThrow().nlink());
    }

    @Test
    void hardLinksToNothingOrToDirectoriesAreSkipped() throws Exception {
        ImageTree tree = flatten(layer(new TestTar().dir("d").hardlink("to-dir", "d").hardlink("to-none", "nothing")));
        assertFalse(exists(tree, "to-dir"));
        assertFalse(exists(tree, "to-none"));
    }

    @Test
    void ownersModesDevicesFifosSymlinksAndXattrsSurvive() throws Exception {
        Map<String, byte[]> caps = TestTar.pax("SCHILY.xattr.security.capability", "cap");
        ImageTree tree = flatten(layer(new TestTar()
                .member("usr/bin/passwd", '0', 04755, 0, 0, "pw".getBytes(), "", 0, 0, caps)
                .member("usr/bin/wall", '0', 02755, 0, 5, "w".getBytes(), "", 0, 0, Map.of())
                .member("tmp", '5', 01777, 0, 0, new byte[0], "", 0, 0, Map.of())
                .member("dev/null", '3', 0666, 0, 0, new byte[0], "", 1, 3, Map.of())
                .member("dev/big", '4', 0660, 0, 6, new byte[0], "", 259, 300, Map.of())
                .member("run/pipe", '6', 0620, 1000, 1000, new byte[0], "", 0, 0, Map.of())
                .symlink("bin", "usr/bin")));
        TreeNode passwd = tree.lookup("usr/bin/passwd").orElseThrow();
        assertEquals(0104755, passwd.mode());
        assertEquals(1_700_000_000L, passwd.mtimeSeconds());
        assertArrayEquals("cap".getBytes(), passwd.xattrs().get("security.capability"));
        assertEquals(0102755, tree.lookup("usr/bin/wall").orElseThrow().mode());
        assertEquals(5, tree.lookup("usr/bin/wall").orElseThrow().gid());
        assertEquals(0041777, tree.lookup("tmp").orElseThrow().mode());
        TreeNode nul = tree.lookup("dev/null").orElseThrow();
        assertEquals(0020666, nul.mode());
        assertEquals((1 << 8) | 3, nul.rdev());
        TreeNode big = tree.lookup("dev/big").orElseThrow();
        assertEquals(0060660, big.mode());
        assertEquals((300 & 0xff) | (259 << 8) | ((300 & ~0xff) << 12), big.rdev());
        assertEquals(TreeNode.encodeDevice(259, 300), big.rdev());
        TreeNode pipe = tree.lookup("run/pipe").orElseThrow();
        assertEquals(0010620, pipe.mode());
        assertEquals(1000, pipe.uid());
        TreeNode bin = tree.lookup("bin").orElseThrow();
        assertTrue(bin.isSymlink());
        assertEquals("usr/bin", bin.symlinkTarget());
        assertEquals(7, bin.size());
        assertEquals("pw", text(tree, "bin/passwd"), "readFile follows symlinks inside the tree");
        assertSame(passwd, tree.lookup("bin/passwd").orElseThrow());
    }

    @Test
    void symlinkedParentsAreFollowedInsideTheTree() throws Exception {
        ImageTree tree = flatten(layer(new TestTar().dir("usr/lib").symlink("lib", "/usr/lib")
                .symlink("up", "../../../..")),
                layer(new TestTar().file("lib/libz.so", "z").file("lib/.wh.nothing", "")));
        assertTrue(tree.lookup("lib").orElseThrow().isSymlink());
        assertEquals("z", text(tree, "usr/lib/libz.so"));
        assertTrue(tree.lookup("up/usr/lib/libz.so").isPresent(), "'..' stops at the tree's root");
    }

    @Test
    void symlinkLoopsEndLookups() throws Exception {
        ImageTree tree = flatten(layer(new TestTar().symlink("a", "b").symlink("b", "a")));
        assertTrue(tree.lookup("a").isPresent());
        assertTrue(tree.readFile("a").isEmpty());
        assertTrue(tree.lookup("a/x").isEmpty());
    }

    @Test
    void inodesAreUniqueStableAndFindable() throws Exception {
        Path lower = layer(base().hardlink("etc/a-link", "etc/a"));
        ImageTree tree = flatten(lower);
        ImageTree again = flatten(lower);
        assertEquals(1, tree.root().inode());
        Set<Long> inodes = new HashSet<>();
        collect(tree.root(), inodes);
        assertEquals(tree.nodeCount(), inodes.size());
        assertEquals(7, tree.nodeCount(), "root, etc, a (twice linked), b, sub, deep, top");
        for (long inode : inodes) {
            assertEquals(inode, tree.node(inode).orElseThrow().inode());
        }
        assertTrue(tree.node(0).isEmpty());
        assertTrue(tree.node(inodes.size() + 1).isEmpty());
        assertEquals(tree.lookup("etc/sub/deep").orElseThrow().inode(), again.lookup("etc/sub/deep").orElseThrow().inode());
        assertEquals(3, tree.lookup("etc").orElseThrow().nlink(), "2 plus its one subdirectory");
        assertEquals(2 + 2 + 2 + 2, tree.fileBytes());
    }

    private static void collect(TreeNode node, Set<Long> inodes) {
        inodes.add(node.inode());
        node.children().values().forEach(child -> collect(child, inodes));
    }

    @Test
    void readFileReadsTheBytesAtTheRecordedOffset() throws Exception {
        byte[] big = new byte[70_000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31);
        }
        ImageTree tree = flatten(layer(new TestTar().file("first", "1")
                .member("big", '0', 0644, 0, 0, big, "", 0, 0, Map.of()).file("last", "L")));
        assertArrayEquals(big, tree.readFile("big").orElseThrow());
        assertEquals("L", text(tree, "last"));
        assertTrue(tree.readFile("missing").isEmpty());
        assertTrue(tree.readFile("/").isEmpty(), "a directory is not a file");
    }
}
