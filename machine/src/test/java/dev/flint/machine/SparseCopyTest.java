package dev.flint.machine;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A snapshot's disk copy: every byte the same, holes kept holes, nothing half-written under the name. */
class SparseCopyTest {
    private static final long SIZE = 64L << 20;

    private static long allocatedBytes(Path file) throws IOException, InterruptedException {
        Process stat = new ProcessBuilder("stat", "-c", "%b %B", file.toString()).start();
        String[] out = new String(stat.getInputStream().readAllBytes()).trim().split(" ");
        assertEquals(0, stat.waitFor());
        return Long.parseLong(out[0]) * Long.parseLong(out[1]);
    }

    @Test
    void copiesTheDataAndKeepsTheHoles(@TempDir Path dir) throws Exception {
        Path source = dir.resolve("disk.ext4");
        byte[] head = "superblock".getBytes();
        byte[] middle = new byte[1 << 20];
        java.util.Arrays.fill(middle, (byte) 7);
        try (RandomAccessFile file = new RandomAccessFile(source.toFile(), "rw")) {
            file.setLength(SIZE);
            file.write(head);
            file.seek(40L << 20);
            file.write(middle);
        }
        Path target = dir.resolve("frozen.ext4");
        SparseCopy.copy(source, target);

        assertEquals(SIZE, Files.size(target));
        assertArrayEquals(Files.readAllBytes(source), Files.readAllBytes(target));
        assertTrue(allocatedBytes(target) < 8L << 20, "sparse: " + allocatedBytes(target) + " bytes allocated of " + SIZE);
        assertFalse(Files.exists(dir.resolve("frozen.ext4.partial")));
    }

    @Test
    void anEntirelySparseFileStaysEmpty(@TempDir Path dir) throws Exception {
        Path source = dir.resolve("empty.ext4");
        try (RandomAccessFile file = new RandomAccessFile(source.toFile(), "rw")) {
            file.setLength(SIZE);
        }
        Path target = dir.resolve("copy.ext4");
        SparseCopy.copy(source, target);
        assertEquals(SIZE, Files.size(target));
        assertTrue(allocatedBytes(target) < 1 << 20, "allocated " + allocatedBytes(target));
    }
}
