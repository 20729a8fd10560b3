package dev.flint.kernel;

import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;
import org.apache.commons.compress.archivers.cpio.CpioConstants;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CpioArchiveTest {
    @TempDir
    Path dir;

    record Read(CpioArchiveEntry entry, byte[] data) {
    }

    static Map<String, Read> read(byte[] archive) throws Exception {
        Map<String, Read> entries = new LinkedHashMap<>();
        try (CpioArchiveInputStream in = new CpioArchiveInputStream(new ByteArrayInputStream(archive))) {
            CpioArchiveEntry entry;
            while ((entry = in.getNextEntry()) != null) {
                entries.put(entry.getName(), new Read(entry, in.readAllBytes()));
            }
        }
        return entries;
    }

    static byte[] bytes(CpioArchive archive) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        archive.writeTo(out);
        return out.toByteArray();
    }

    @Test
    void writesEveryEntryKindInNewcFormat() throws Exception {
        byte[] archive = bytes(new CpioArchive()
                .directory("/bin", 0755)
                .file("/bin/hello", 0755, "#!/bin/sh\necho hi\n".getBytes(StandardCharsets.US_ASCII))
                .symlink("/bin/sh", "busybox")
                .directory("/dev", 0755)
                .charDevice("/dev/console", 0600, 5, 1));

        assertEquals("070701", new String(archive, 0, 6, StandardCharsets.US_ASCII), "newc magic");
        String text = new String(archive, StandardCharsets.US_ASCII);
        assertTrue(text.lastIndexOf("TRAILER!!!") > text.lastIndexOf("dev/console"), "trailer ends the archive");
        Map<String, Read> entries = read(archive);
        assertEquals(java.util.List.of("bin", "bin/hello", "bin/sh", "dev", "dev/console"), java.util.List.copyOf(entries.keySet()));
        assertEquals(CpioConstants.C_ISDIR | 0755, entries.get("bin").entry().getMode());
        assertEquals(CpioConstants.C_ISREG | 0755, entries.get("bin/hello").entry().getMode());
        assertArrayEquals("#!/bin/sh\necho hi\n".getBytes(StandardCharsets.US_ASCII), entries.get("bin/hello").data());
        assertEquals(CpioConstants.C_ISLNK | 0777, entries.get("bin/sh").entry().getMode());
        assertEquals("busybox", new String(entries.get("bin/sh").data(), StandardCharsets.UTF_8));
        CpioArchiveEntry console = entries.get("dev/console").entry();
        assertEquals(CpioConstants.C_ISCHR | 0600, console.getMode());
        assertEquals(5, console.getRemoteDeviceMaj());
        assertEquals(1, console.getRemoteDeviceMin());
    }

    @Test
    void packsADirectoryTreeWithModesAndSymlinks() throws Exception {
        Path root = Files.createDirectory(dir.resolve("root"));
        Path tool = Files.writeString(Files.createDirectories(root.resolve("usr/bin")).resolve("tool"), "run me");
        Files.setPosixFilePermissions(tool, PosixFilePermissions.fromString("rwxr-x---"));
        Files.writeString(root.resolve("notes"), "plain");
        Files.setPosixFilePermissions(root.resolve("notes"), PosixFilePermissions.fromString("rw-r--r--"));
        Files.createSymbolicLink(root.resolve("usr/bin/alias"), Path.of("tool"));

        Map<String, Read> entries = read(bytes(new CpioArchive().addTree(root, "/")));

        assertEquals(java.util.List.of("notes", "usr", "usr/bin", "usr/bin/alias", "usr/bin/tool"),
                java.util.List.copyOf(entries.keySet()), "sorted, parents first");
        assertEquals(CpioConstants.C_ISREG | 0750, entries.get("usr/bin/tool").entry().getMode());
        assertEquals(CpioConstants.C_ISREG | 0644, entries.get("notes").entry().getMode());
        assertEquals("run me", new String(entries.get("usr/bin/tool").data(), StandardCharsets.UTF_8));
        assertEquals("tool", new String(entries.get("usr/bin/alias").data(), StandardCharsets.UTF_8));
    }

    @Test
    void packKeepsStickyBitsAndCharacterDevices() throws Exception {
        Path root = Files.createDirectory(dir.resolve("root"));
        Path tmp = Files.createDirectory(root.resolve("tmp"));
        assertEquals(0, new ProcessBuilder("chmod", "1777", tmp.toString()).inheritIO().start().waitFor());
        Path devDir = Files.createDirectory(root.resolve("dev"));
        boolean mknod = new ProcessBuilder("mknod", "-m", "600", devDir.resolve("console").toString(), "c", "5", "1")
                .redirectErrorStream(true).start().waitFor() == 0;

        Map<String, Read> entries = read(bytes(new CpioArchive().addTree(root, "/")));

        assertEquals(CpioConstants.C_ISDIR | 01777, entries.get("tmp").entry().getMode());
        Assumptions.assumeTrue(mknod, "mknod needs root; device packing not checked");
        CpioArchiveEntry console = entries.get("dev/console").entry();
        assertEquals(CpioConstants.C_ISCHR | 0600, console.getMode());
        assertEquals(5, console.getRemoteDeviceMaj());
        assertEquals(1, console.getRemoteDeviceMin());
    }

    @Test
    void packUnderAPrefixAndSameTreeGivesSameBytes() throws Exception {
        Path root = Files.createDirectory(dir.resolve("root"));
        Files.writeString(root.resolve("b"), "2");
        Files.writeString(root.resolve("a"), "1");
        byte[] first = bytes(new CpioArchive().directory("/opt", 0755).addTree(root, "/opt"));
        byte[] second = bytes(new CpioArchive().directory("/opt", 0755).addTree(root, "/opt/"));
        assertArrayEquals(first, second);
        assertEquals(java.util.List.of("opt", "opt/a", "opt/b"), java.util.List.copyOf(read(first).keySet()));
    }

    @Test
    void emptyArchiveIsJustTheTrailer() throws Exception {
        byte[] archive = bytes(new CpioArchive());
        assertTrue(read(archive).isEmpty());
        assertTrue(new String(archive, StandardCharsets.US_ASCII).contains("TRAILER!!!"));
        assertEquals(0, archive.length % 512, "padded to cpio blocks");
    }

    @Test
    void rejectsBadDevicesAndSymlinks() {
        CpioArchive archive = new CpioArchive().directory("/dev", 0755);
        assertThrows(IllegalArgumentException.class, () -> archive.charDevice("/dev/x", 0600, -1, 0));
        assertThrows(IllegalArgumentException.class, () -> archive.symlink("/dev/y", ""));
        assertThrows(IllegalArgumentException.class, () -> archive.addTree(dir.resolve("missing"), "/"));
        assertEquals(java.util.List.of("/dev"), archive.paths(), "rejected entries are not added");
    }

    @Test
    void rejectsBadPathsDuplicatesAndOrphans() {
        CpioArchive archive = new CpioArchive().directory("/bin", 0755);
        assertThrows(IllegalArgumentException.class, () -> archive.file("relative", 0644, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> archive.file("/bin/../etc/passwd", 0644, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> archive.directory("/bin", 0755));
        var orphan = assertThrows(IllegalArgumentException.class, () -> archive.file("/etc/hosts", 0644, new byte[0]));
        assertTrue(orphan.getMessage().contains("add directory /etc before /etc/hosts"), orphan.getMessage());
        assertThrows(IllegalArgumentException.class, () -> archive.file("/bin/x", 010000, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> archive.file("/bin/y", 0644, dir.resolve("missing")));
    }

    @Test
    void writesAtomicallyToAFile() throws Exception {
        Path out = dir.resolve("sub/initramfs.cpio");
        new CpioArchive().directory("/etc", 0755).writeTo(out);
        assertTrue(read(Files.readAllBytes(out)).containsKey("etc"));
        try (var files = Files.list(out.getParent())) {
            assertEquals(1, files.count(), "no partial file left behind");
        }
    }
}
