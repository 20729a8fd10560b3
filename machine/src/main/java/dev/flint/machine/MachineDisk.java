package dev.flint.machine;

import dev.flint.virtio.blk.BlockStore;
import dev.flint.virtio.blk.OverlayStore;
import dev.flint.virtio.blk.RawImageStore;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * A machine's own disk under its directory in {@link FlintHome}: made on first use (sparse,
 * ext4), kept across stop and start, removed on delete unless the config retains it. After a
 * snapshot of the machine, or for a machine made from one, the disk is an overlay
 * ({@code disk.ovl}, {@code rootfs.ovl}) over a frozen layer of {@link DiskLayers}. The
 * directory's lock (an fcntl lock, which the kernel drops when the process dies, even by
 * {@code kill -9}) keeps two live machines of one name off the same disk.
 */
final class MachineDisk implements AutoCloseable {
    /**
     * Directories open in this JVM. Checked before the file lock because closing a second fd on
     * the lock file would drop the fcntl lock of the first.
     */
    private static final Set<Path> OPEN = ConcurrentHashMap.newKeySet();

    private Path directory;
    private Path image;
    private final boolean rootfs;
    private final FileChannel lockFile;
    private final FileLock lock;
    private boolean closed;

    private MachineDisk(Path directory, Path image, boolean rootfs, FileChannel lockFile, FileLock lock) {
        this.directory = directory;
        this.image = image;
        this.rootfs = rootfs;
        this.lockFile = lockFile;
        this.lock = lock;
    }

    /** Locks the machine's directory and makes its disk if it has none yet. */
    static MachineDisk open(MachineConfig config) {
        Path directory = FlintHome.machineDirectory(config.name());
        if (!OPEN.add(directory)) {
            throw alreadyRunning(config, directory);
        }
        FileChannel lockFile = null;
        try {
            Files.createDirectories(directory);
            lockFile = FileChannel.open(directory.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = lockFile.tryLock();
            if (lock == null) {
                throw alreadyRunning(config, directory);
            }
            MachineDisk disk = new MachineDisk(directory, rawImageOf(config, directory), config.rootfs().isPresent(),
                    lockFile, lock);
            disk.makeIfMissing(config);
            return disk;
        } catch (IOException e) {
            closeQuietly(lockFile);
            OPEN.remove(directory);
            throw new FlintException("machine " + config.name() + " could not prepare its disk in " + directory + ": "
                    + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(lockFile);
            OPEN.remove(directory);
            throw e;
        }
    }

    private static InvalidConfigException alreadyRunning(MachineConfig config, Path directory) {
        return new InvalidConfigException("machine " + config.name() + " is already running (its directory " + directory
                + " is locked); stop it or pick another name");
    }

    /** Where the disk of a machine with {@code config} is: its rootfs image file, or a raw image or overlay. */
    static Path imageOf(MachineConfig config, Path directory) {
        Path overlay = overlayOf(config, directory);
        return Files.exists(overlay) ? overlay : rawImageOf(config, directory);
    }

    private static Path rawImageOf(MachineConfig config, Path directory) {
        if (config.rootfs().isPresent() && Files.isRegularFile(config.rootfs().get())) {
            return config.rootfs().get();
        }
        return directory.resolve(config.rootfs().isPresent() ? "rootfs.ext4" : "disk.ext4");
    }

    /**
     * Where a machine with {@code config} keeps its disk as an overlay: made from a snapshot, or
     * snapshotted itself (the raw image became a frozen layer). Always in its own directory.
     */
    static Path overlayOf(MachineConfig config, Path directory) {
        return directory.resolve((config.rootfs().isPresent() ? "rootfs" : "disk") + OverlayStore.SUFFIX);
    }

    /** Opens a machine's own disk writable: an overlay by its name, else a raw image. */
    static BlockStore openStore(Path image) throws IOException {
        return OverlayStore.isOverlay(image) ? OverlayStore.open(image) : RawImageStore.open(image, false);
    }

    private void makeIfMissing(MachineConfig config) throws IOException {
        if (Files.exists(image) || Files.exists(overlay())) {
            return;
        }
        Path partial = directory.resolve(image.getFileName() + ".partial");
        Files.deleteIfExists(partial);
        if (config.rootfs().isPresent()) {
            Ext4Images.createFromDirectory(partial, config.rootfs().get(), config.diskMb());
        } else {
            Ext4Images.createEmpty(partial, config.diskMb());
        }
        Files.move(partial, image);
    }

    /**
     * Follows the machine's directory, renamed to {@code target} while the disk is open (a warm
     * pool's machine checked out): the lock and the VMM's open image stay valid across a rename.
     */
    synchronized void relocate(Path target) {
        if (!OPEN.add(target)) {
            throw new InvalidConfigException("a machine using " + target + " is already running here; pick another name");
        }
        OPEN.remove(directory);
        if (image.startsWith(directory)) {
            image = target.resolve(directory.relativize(image));
        }
        directory = target;
    }

    /** The disk the VMM attaches as /dev/vda: the raw image, or the overlay once there is one. */
    synchronized Path image() {
        return Files.exists(overlay()) ? overlay() : image;
    }

    /** Where this disk is an overlay, or goes on as one when it is frozen. */
    synchronized Path overlay() {
        return directory.resolve((rootfs ? "rootfs" : "disk") + OverlayStore.SUFFIX);
    }

    /** The boot argument that makes the agent use this disk: as the root, or as the overlay over the initramfs. */
    String bootArgument() {
        return (rootfs ? "flint.root=" : "flint.overlay=") + "/dev/vda";
    }

    /** Removes the directory and the disk in it (a rootfs image the user gave stays). */
    void delete() throws IOException {
        close();
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    /** Releases the lock; the disk stays. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (lock.isValid()) {
                lock.release();
            }
        } catch (IOException e) {
            // Closing the channel below releases it too.
        }
        closeQuietly(lockFile);
        OPEN.remove(directory);
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // Nothing was written through it.
            }
        }
    }
}
