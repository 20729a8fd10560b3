package dev.flint.machine;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The machine's own disk on the host: made sparse with mke2fs, locked, kept, removed. Needs e2fsprogs. */
class MachineDiskTest {
    private static final int EXT4_MAGIC_OFFSET = 1024 + 0x38;

    @TempDir
    Path home;

    @BeforeEach
    void useTemporaryHome() {
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/mke2fs")) || Files.isExecutable(Path.of("/sbin/mke2fs")),
                "needs mke2fs (Debian package e2fsprogs)");
        TestHome.use(home);
    }

    @AfterEach
    void restoreHome() {
        TestHome.restore();
    }

    private static int ext4Magic(Path image) throws Exception {
        try (FileChannel channel = FileChannel.open(image)) {
            ByteBuffer magic = ByteBuffer.allocate(2).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            channel.read(magic, EXT4_MAGIC_OFFSET);
            return magic.getShort(0) & 0xffff;
        }
    }

    /** Bytes the file really takes on the host (Java has no attribute for st_blocks). */
    static long allocatedBytes(Path file) throws Exception {
        Process stat = new ProcessBuilder("stat", "-c", "%b", file.toString()).start();
        String blocks = new String(stat.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, stat.waitFor());
        return Long.parseLong(blocks) * 512;
    }

    @Test
    void aNewDiskIsSparseExt4OfTheAskedSizeAndLocked() throws Exception {
        MachineConfig config = MachineConfig.builder().name("d1").diskMb(1024).build();
        try (MachineDisk disk = MachineDisk.open(config)) {
            assertEquals(home.resolve("machines/d1/disk.ext4"), disk.image());
            assertEquals(1024L << 20, Files.size(disk.image()));
            long allocated = allocatedBytes(disk.image());
            assertTrue(allocated < 64L << 20, "a fresh 1 GiB disk should take a few MiB, took " + allocated);
            assertEquals(0xef53, ext4Magic(disk.image()));
            assertEquals("flint.overlay=/dev/vda", disk.bootArgument());
            String error = assertThrows(InvalidConfigException.class, () -> MachineDisk.open(config)).getMessage();
            assertTrue(error.contains("already running"), error);
        }
    }

    @Test
    void anOpenDiskFollowsItsMachineRenamedOutOfAWarmPool() throws Exception {
        MachineConfig config = MachineConfig.builder().name("pool-warm-1").diskMb(64).build();
        MachineDisk disk = MachineDisk.open(config);
        try (FileChannel held = FileChannel.open(disk.image(), java.nio.file.StandardOpenOption.WRITE)) {
            SnapshotStore.moveMachine("m-test", "pool-warm-1", "user-app");
            disk.relocate(home.resolve("machines/user-app"));
            held.write(ByteBuffer.wrap("after".getBytes(StandardCharsets.UTF_8)), 40L << 20);   // as the VMM's open fd
        }
        assertEquals(home.resolve("machines/user-app/disk.ext4"), disk.image());
        assertFalse(Files.exists(home.resolve("machines/pool-warm-1")));
        String locked = assertThrows(InvalidConfigException.class,
                () -> MachineDisk.open(MachineConfig.builder().name("user-app").diskMb(64).build())).getMessage();
        assertTrue(locked.contains("already running"), "the new name is held: " + locked);
        MachineDisk.open(config).delete();   // the old name is free again
        try (FileChannel channel = FileChannel.open(disk.image())) {
            ByteBuffer read = ByteBuffer.allocate(5);
            channel.read(read, 40L << 20);
            assertEquals("after", new String(read.array(), StandardCharsets.UTF_8));
        }
        disk.delete();
        assertFalse(Files.exists(home.resolve("machines/user-app")));
    }

    @Test
    void aDiskIsKeptAcrossOpensAndRemovedByDelete() throws Exception {
        MachineConfig config = MachineConfig.builder().name("d2").diskMb(64).build();
        Path image;
        try (MachineDisk disk = MachineDisk.open(config)) {
            image = disk.image();
            try (FileChannel channel = FileChannel.open(image, java.nio.file.StandardOpenOption.WRITE)) {
                channel.write(ByteBuffer.wrap("kept".getBytes(StandardCharsets.UTF_8)), 40L << 20);
            }
        }
        MachineDisk again = MachineDisk.open(config);
        try (FileChannel channel = FileChannel.open(image)) {
            ByteBuffer read = ByteBuffer.allocate(4);
            channel.read(read, 40L << 20);
            assertEquals("kept", new String(read.array(), StandardCharsets.UTF_8), "reopening must not reformat");
        }
        again.delete();
        assertFalse(Files.exists(home.resolve("machines/d2")));
    }

    @Test
    void aRootfsDirectoryBecomesAnExt4ImageHoldingIt(@TempDir Path root) throws Exception {
        Files.createDirectories(root.resolve("etc"));
        Files.writeString(root.resolve("etc/motd"), "hello");
        MachineConfig config = MachineConfig.builder().name("d3").rootfs(root).build();
        try (MachineDisk disk = MachineDisk.open(config)) {
            assertEquals("flint.root=/dev/vda", disk.bootArgument());
            assertEquals(0xef53, ext4Magic(disk.image()));
            assertEquals(64L << 20, Files.size(disk.image()), "a tiny tree gets the 64 MiB minimum");
        }
    }
}
