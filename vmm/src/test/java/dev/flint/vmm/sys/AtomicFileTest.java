package dev.flint.vmm.sys;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class AtomicFileTest {
    @TempDir
    Path dir;

    @Test
    void replacesTheFileWithANewInode() throws Exception {
        Path target = dir.resolve("vm.state");
        Files.writeString(target, "old");
        Object inode = Files.getAttribute(target, "unix:ino");
        AtomicFile.replace(target, file -> file.write("new".getBytes()));
        assertEquals("new", Files.readString(target));
        assertNotEquals(inode, Files.getAttribute(target, "unix:ino"));
        assertEquals(List.of(target), list());
    }

    @Test
    void aFailedWriteLeavesTheOldFileAndNoTempFile() throws Exception {
        Path target = dir.resolve("memory");
        Files.writeString(target, "old");
        IOException failure = assertThrows(IOException.class, () -> AtomicFile.replace(target, file -> {
            file.write("half".getBytes());
            throw new IOException("No space left on device");
        }));
        assertEquals("No space left on device", failure.getMessage());
        assertEquals("old", Files.readString(target));
        assertEquals(List.of(target), list());
    }

    private List<Path> list() throws IOException {
        try (var files = Files.list(dir)) {
            return files.toList();
        }
    }
}
