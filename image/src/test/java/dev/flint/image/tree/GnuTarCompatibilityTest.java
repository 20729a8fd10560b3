package dev.flint.image.tree;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Layers written by a real tar, in each of its formats, read back exactly. Needs GNU or BSD
 * {@code tar} on the PATH; skipped, saying so, without one.
 */
class GnuTarCompatibilityTest {
    @TempDir
    Path dir;

    private static boolean tarAvailable() {
        try {
            Process p = new ProcessBuilder("tar", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gnu", "posix", "ustar"})
    void aRealTarReadsBackExactly(String format) throws Exception {
        Assumptions.assumeTrue(tarAvailable(), "needs a tar program on the PATH");
        Path src = Files.createDirectory(dir.resolve("src"));
        // Longer than a ustar name field, and still splittable into ustar's prefix and name.
        Path deep = Files.createDirectories(src.resolve("d".repeat(90)).resolve("s".repeat(60)));
        Files.writeString(deep.resolve("f".repeat(90)), "hello\n");
        byte[] big = new byte[100_000];
        new java.util.Random(7).nextBytes(big);
        Files.write(src.resolve("big"), big);
        Files.createLink(src.resolve("big.hard"), src.resolve("big"));
        Files.createSymbolicLink(src.resolve("big.sym"), Path.of("big"));
        Files.writeString(src.resolve("tool"), "s");
        Files.setPosixFilePermissions(src.resolve("tool"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Path tar = dir.resolve(format + ".tar");
        Process p = new ProcessBuilder("tar", "--format=" + format, "-cf", tar.toString(), "-C", src.toString(), ".")
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "tar finished");
        Assumptions.assumeTrue(p.exitValue() == 0, "this tar cannot write --format=" + format + ": " + output);

        ImageTree tree = ImageTree.flatten(List.of(tar));
        assertArrayEquals(big, tree.readFile("big").orElseThrow());
        assertEquals("hello\n", new String(tree.readFile("d".repeat(90) + "/" + "s".repeat(60) + "/" + "f".repeat(90)).orElseThrow()));
        TreeNode node = tree.lookup("big").orElseThrow();
        assertSame(node, tree.lookup("big.hard").orElseThrow());
        assertEquals(2, node.nlink());
        assertEquals("big", tree.lookup("big.sym").orElseThrow().symlinkTarget());
        assertEquals(TreeNode.S_IFREG | 0755, tree.lookup("tool").orElseThrow().mode());
        assertArrayEquals(big, tree.readFile("big.sym").orElseThrow());
    }
}
