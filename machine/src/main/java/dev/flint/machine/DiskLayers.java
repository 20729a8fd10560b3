package dev.flint.machine;

import dev.flint.virtio.blk.BlockStore;
import dev.flint.virtio.blk.OverlayStore;
import dev.flint.virtio.blk.VirtioBlk;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The frozen disk layers on the host, under {@link FlintHome}, that make a snapshot or a fork
 * copy no disk (ext4 has no reflink):
 * <pre>
 *   layers/ID.ext4 or ID.ovl   a machine's disk as it was at a snapshot: a raw image, or an
 *                              overlay over an older layer; never written again
 *   layers/ID.holds/HOLDER     one empty file per holder: a machine whose overlay is over the
 *                              layer (its id), a snapshot (its hold id), an overlay layer over it
 *   layers/lock                serialises holds and releases between Flint processes
 *   machines/NAME/disk.ovl.holder   the hold id of the machine's overlay: the machine's id when it
 *                              was made, kept by a later machine that takes the retained disk over
 * </pre>
 * A snapshot {@link #freeze freezes} a machine's disk by moving its file here and giving the
 * machine, which runs on, a new empty overlay over it: the machine never again writes a file
 * that another machine reads as its base, and nothing is copied. Machines made from the
 * snapshot {@link #branch} an overlay of their own over the same layer. A layer is removed with
 * its last hold, and then drops its own hold on the layer below, so deleting the parent, the
 * clones and the snapshot in any order leaves no file behind.
 */
final class DiskLayers {
    private static final String HOLDS = ".holds";
    /** Holders: machines (m-), snapshots (s-) and layers (l-), each with {@link MachineId}'s 16 random letters. */
    private static final Pattern HOLDER = Pattern.compile("[lms]-[a-z2-7]{16}");
    private static final Pattern LAYER = Pattern.compile("l-[a-z2-7]{16}\\.(ext4|ovl)");
    private static final int FLATTEN_CHUNK = 1 << 20;
    /** Guards the lock file within this JVM: a second {@link FileChannel#lock} here would throw. */
    private static final Object IN_PROCESS = new Object();

    /** A snapshot's hold on the layer that is its disk: what {@code snapshots/NAME/disk.layer} records. */
    record Hold(Path layer, String holder) {
        void write(Path file) throws IOException {
            Files.writeString(file, layer + "\n" + holder + "\n");
        }
    }

    private final Path root;

    DiskLayers(Path home) {
        this.root = home.resolve("layers");
    }

    static DiskLayers atHome() {
        return new DiskLayers(FlintHome.resolve());
    }

    /** A new holder id for a snapshot. */
    static String snapshotHolder() {
        return "s" + MachineId.next().substring(1);
    }

    /**
     * Freezes the disk of a machine whose VM is paused, for a snapshot that {@code holder} names:
     * {@code device}'s file moves into the store as a new layer, and the device goes on over a
     * fresh overlay over it at {@link MachineDisk#overlay()}. A chain already at
     * {@link OverlayStore#MAX_DEPTH} is flattened into a raw layer instead (a copy of the data,
     * once every that many snapshots). A failure leaves the machine on its disk as it was.
     * {@code machineId} names the machine's hold when its disk was raw until now.
     */
    Path freeze(MachineDisk disk, VirtioBlk device, String machineId, String holder) throws IOException {
        Path current = disk.image();
        boolean wasRaw = !OverlayStore.isOverlay(current);
        String own = wasRaw ? machineId : holderOf(current);
        BlockStore running = device.store();
        boolean flatten = running instanceof OverlayStore top && top.chainLength() >= OverlayStore.MAX_DEPTH;
        String id = "l" + MachineId.next().substring(1);
        Path layer = root.resolve(id + (flatten || wasRaw ? ".ext4" : OverlayStore.SUFFIX));
        // Flattened, the old top moves aside until the new one is in place, then goes; else it is the layer.
        Path movedTo = flatten ? current.resolveSibling(current.getFileName() + ".flattened") : layer;
        running.close();   // flushed, so a frozen overlay's map is complete before anyone reads it
        boolean moved = false;
        try {
            synchronized (IN_PROCESS) {
                try (FileChannel ignored = lock()) {
                    if (flatten) {
                        flatten(current, layer);
                    }
                    Files.move(current, movedTo, StandardCopyOption.ATOMIC_MOVE);
                    moved = true;
                    touch(layer, own);
                    touch(layer, holder);
                    if (!flatten && !wasRaw) {
                        // The machine's hold on the layer below passes to the layer that now reads it.
                        Path below = OverlayStore.baseOf(layer);
                        touch(below, id);
                        Files.deleteIfExists(holds(below).resolve(own));
                    }
                }
            }
            if (wasRaw) {
                writeHolder(disk.overlay(), own);
            }
            device.replaceStore(OverlayStore.create(layer, disk.overlay()));
        } catch (IOException | RuntimeException e) {
            undoFreeze(current, movedTo, moved, layer, disk.overlay(), own, wasRaw, device, e);
            throw e;
        }
        if (flatten) {
            drop(movedTo, own);   // the old top: nobody's base, and now copied into the layer
        }
        return layer;
    }

    /** Puts the machine back on its disk file as it was before a failed {@link #freeze}. */
    private void undoFreeze(Path current, Path movedTo, boolean moved, Path layer, Path overlay, String own,
                            boolean wasRaw, VirtioBlk device, Exception failure) {
        try {
            synchronized (IN_PROCESS) {
                try (FileChannel ignored = lock()) {
                    if (wasRaw) {
                        Files.deleteIfExists(holderFile(overlay));
                    }
                    if (moved && movedTo.equals(layer) && !wasRaw) {
                        Path below = OverlayStore.baseOf(layer);
                        touch(below, own);
                        Files.deleteIfExists(holds(below).resolve(idOf(layer)));
                    }
                    if (moved) {
                        Files.deleteIfExists(current);   // a new overlay half made there
                        Files.move(movedTo, current, StandardCopyOption.ATOMIC_MOVE);
                    }
                    Files.deleteIfExists(layer);
                    SnapshotStore.deleteTree(holds(layer));
                }
            }
            device.replaceStore(MachineDisk.openStore(current));
        } catch (IOException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    /** Writes the disk {@code overlay} reads (its whole chain) into the raw image {@code layer}, keeping holes. */
    private static void flatten(Path overlay, Path layer) throws IOException {
        Path partial = layer.resolveSibling(layer.getFileName() + ".partial");
        try (BlockStore source = OverlayStore.openLayer(overlay);
             FileChannel out = FileChannel.open(partial, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                     StandardOpenOption.SPARSE)) {
            ByteBuffer chunk = ByteBuffer.allocateDirect(FLATTEN_CHUNK);
            for (long at = 0; at < source.capacity(); at += FLATTEN_CHUNK) {
                chunk.clear().limit((int) Math.min(FLATTEN_CHUNK, source.capacity() - at));
                source.read(at, chunk);
                chunk.flip();
                if (!allZero(chunk)) {
                    while (chunk.hasRemaining()) {
                        out.write(chunk, at + chunk.position());
                    }
                }
            }
            out.force(false);
            try (RandomAccessFile file = new RandomAccessFile(partial.toFile(), "rw")) {
                file.setLength(source.capacity());   // a trailing hole
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(partial);
            throw e;
        }
        Files.move(partial, layer, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Over a chunk of a disk: a multiple of 512 bytes, so of 8. */
    private static boolean allZero(ByteBuffer chunk) {
        for (int i = chunk.position(); i < chunk.limit(); i += Long.BYTES) {
            if (chunk.getLong(i) != 0) {
                return false;
            }
        }
        return true;
    }

    /** Makes {@code overlay}, a new machine's empty disk over {@code layer}, held by {@code holder} (its id). */
    void branch(Path layer, Path overlay, String holder) throws IOException {
        synchronized (IN_PROCESS) {
            try (FileChannel ignored = lock()) {
                checkLayer(layer);
                if (!Files.isDirectory(holds(layer))) {
                    throw new IOException("layer " + layer + " has no holders left, so it is being removed");
                }
                touch(layer, holder);
            }
        }
        try {
            writeHolder(overlay, holder);
            OverlayStore.create(layer, overlay).close();
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(holderFile(overlay));
            release(layer, holder);
            throw e;
        }
    }

    /** Removes {@code overlay} (a machine's disk, closed) and its hold on the layer under it. */
    void dropOverlay(Path overlay) throws IOException {
        if (Files.exists(overlay)) {
            drop(overlay, holderOf(overlay));
        }
    }

    private void drop(Path overlay, String holder) throws IOException {
        Path base = OverlayStore.baseOf(overlay);
        Files.delete(overlay);
        Files.deleteIfExists(holderFile(overlay));
        release(base, holder);
    }

    /** Beside a machine's overlay: the id of its hold, which outlives the machine when its disk is retained. */
    private static Path holderFile(Path overlay) {
        return overlay.resolveSibling(overlay.getFileName() + ".holder");
    }

    private static void writeHolder(Path overlay, String holder) throws IOException {
        Files.writeString(holderFile(overlay), holder);
    }

    private static String holderOf(Path overlay) throws IOException {
        Path file = holderFile(overlay);
        String holder = Files.size(file) <= 64 ? Files.readString(file).strip() : "";
        if (!HOLDER.matcher(holder).matches()) {
            throw new IOException(file + " does not name the hold of overlay " + overlay + "; it is not Flint's");
        }
        return holder;
    }

    /** Drops {@code holder}'s hold on {@code layer}; the last hold removes the layer, and so on down its chain. */
    void release(Path layer, String holder) throws IOException {
        synchronized (IN_PROCESS) {
            try (FileChannel ignored = lock()) {
                Path next = layer;
                String dropping = holder;
                while (next != null) {
                    checkLayer(next);
                    Files.deleteIfExists(holds(next).resolve(dropping));
                    try {
                        Files.deleteIfExists(holds(next));
                    } catch (DirectoryNotEmptyException e) {
                        return;   // still held
                    }
                    Path below = OverlayStore.isOverlay(next) && Files.exists(next) ? OverlayStore.baseOf(next) : null;
                    Files.deleteIfExists(next);
                    dropping = idOf(next);
                    next = below;
                }
            }
        }
    }

    /** Who holds {@code layer} now: machine ids, snapshot hold ids, layer ids; empty once it is gone. */
    List<String> holders(Path layer) throws IOException {
        if (!Files.isDirectory(holds(layer))) {
            return List.of();
        }
        try (Stream<Path> holders = Files.list(holds(layer))) {
            return holders.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Reads a snapshot's {@code disk.layer}; anything that does not name a layer of this store is refused. */
    Hold readHold(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("the snapshot has no " + file.getFileName() + " naming its disk layer (made by an"
                    + " older Flint, which copied the disk?); take the snapshot again");
        }
        if (Files.size(file) > 4096) {
            throw new IOException(file + " is larger than a disk layer reference; it is not Flint's");
        }
        List<String> lines = Files.readAllLines(file);
        if (lines.size() != 2 || !HOLDER.matcher(lines.get(1)).matches()) {
            throw new IOException(file + " does not name a disk layer and its holder; it is not Flint's");
        }
        Path layer = Path.of(lines.get(0));
        checkLayer(layer);
        return new Hold(layer, lines.get(1));
    }

    /** A layer path from a file on disk must be one of this store's: never a host file elsewhere. */
    private void checkLayer(Path layer) throws IOException {
        if (!root.equals(layer.getParent()) || !LAYER.matcher(layer.getFileName().toString()).matches()) {
            throw new IOException(layer + " is not a disk layer under " + root);
        }
    }

    private void touch(Path layer, String holder) throws IOException {
        checkLayer(layer);
        if (!HOLDER.matcher(holder).matches()) {
            throw new IllegalArgumentException("not a layer holder: " + holder);
        }
        Files.createDirectories(holds(layer));
        Files.write(holds(layer).resolve(holder), new byte[0]);
    }

    private static Path holds(Path layer) {
        return layer.resolveSibling(idOf(layer) + HOLDS);
    }

    private static String idOf(Path layer) {
        String name = layer.getFileName().toString();
        return name.substring(0, name.lastIndexOf('.'));
    }

    /** Takes the store's lock, between processes; closing the channel releases it. */
    private FileChannel lock() throws IOException {
        Files.createDirectories(root);
        FileChannel file = FileChannel.open(root.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            file.lock();
            return file;
        } catch (IOException | RuntimeException e) {
            file.close();
            throw e;
        }
    }
}
