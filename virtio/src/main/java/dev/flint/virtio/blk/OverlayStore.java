package dev.flint.virtio.blk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A writable disk layer over a read-only base image, so that a fork of a machine copies no
 * disk (ext4 has no reflink). The base is opened read-only and never written; the overlay is
 * one sparse file that holds the clusters (64 KiB) the guest wrote, at the same offsets as on
 * the disk, then a map of which clusters it holds, then a {@link OverlayHeader header} naming
 * the base:
 *
 * <pre>
 *   [0, capacity rounded up to 64 KiB)   disk data, sparse: only written clusters take space
 *   [.., + map bytes, whole 4 KiB pages)  one bit per cluster, 1 = read from the overlay
 *   [last 4 KiB]                          header: base path, size, mtime, fingerprint; CRC32C
 * </pre>
 *
 * One file per layer, so a fork's disk is moved, copied or deleted as one; the header sits at
 * the end so that data offsets are disk offsets. Reads take written clusters from the overlay
 * and the rest from the base. The first write to a cluster that covers it only partly copies
 * the rest of the cluster from the base first (copy-on-write). Zeroing a range makes the whole
 * clusters in it holes of the overlay that read as zeros, not from the base.
 * {@link #flush()} makes the data
 * durable, then the map bits that point at it, so a host crash leaves a consistent disk and a
 * fork's disk survives a stop and start. The overlay is locked while open: two machines never
 * write one layer.
 *
 * <p>A base is a raw image or itself an overlay, frozen (a machine's layer after a snapshot of
 * it): a chain of at most {@link #MAX_DEPTH} layers. Which one a file is goes by its name, an
 * overlay's ending in {@link #SUFFIX}, never by its bytes: a guest writes all of a raw image and
 * could forge a header there that names any host file.
 */
public final class OverlayStore implements BlockStore {
    /** Copy-on-write unit: qcow2's default, small enough that a 4 KiB write copies little. */
    public static final int CLUSTER = 64 * 1024;
    /** How an overlay's file name ends; any other file is a raw image. */
    public static final String SUFFIX = ".ovl";
    /** Layers in one chain, the top one counted: bounds the reads a miss costs and a header loop. */
    public static final int MAX_DEPTH = 16;
    private final Path path;
    private final OverlayHeader header;
    private final BlockStore base;
    private final FileChannel overlay;
    /** Null for a frozen layer, opened read-only as another overlay's base. */
    private final FileLock lock;
    private final ClusterMap map;
    /** Null for a frozen layer, which is never written. */
    private final FileHoles holes;
    private final long mapAt;
    private final ByteBuffer copy = ByteBuffer.allocateDirect(CLUSTER);
    private boolean closed;

    private OverlayStore(Path path, OverlayHeader header, BlockStore base, FileChannel overlay, FileLock lock,
                         ClusterMap map, FileHoles holes) {
        this.path = path;
        this.header = header;
        this.base = base;
        this.overlay = overlay;
        this.lock = lock;
        this.map = map;
        this.holes = holes;
        this.mapAt = dataBytes(header.capacity());
    }

    /**
     * Makes a new, empty overlay file {@code overlay} (it must not exist) over {@code base} (a
     * raw image of a non-empty multiple of 512 bytes, or a frozen overlay; it must not change
     * while the overlay lives) and opens it.
     */
    public static OverlayStore create(Path base, Path overlay) throws IOException {
        OverlayHeader header;
        try (BlockStore below = openLayer(base, 2);
             FileChannel baseFile = FileChannel.open(base, StandardOpenOption.READ)) {
            header = OverlayHeader.describe(base, baseFile, below.capacity());
        }
        if (header.capacity() > OverlayHeader.MAX_CAPACITY) {
            throw new IOException("base image " + base + " is " + header.capacity() + " bytes; an overlay takes at most "
                    + OverlayHeader.MAX_CAPACITY);
        }
        long clusters = clusters(header.capacity());
        FileChannel file = FileChannel.open(overlay, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE, StandardOpenOption.SPARSE);
        try (file) {
            long mapAt = dataBytes(header.capacity());
            FileIo.writeFully(file, ClusterMap.empty(clusters).all(), mapAt);
            FileIo.writeFully(file, header.encode(), mapAt + ClusterMap.bytes(clusters));
            file.force(true);
        } catch (IOException | RuntimeException e) {
            deleteQuietly(overlay, e); // ours, half written: not an overlay anyone can open
            throw e;
        }
        syncDirectory(overlay.toAbsolutePath().getParent());
        return open(overlay);
    }

    /** Opens an overlay made by {@link #create}, over the base its header names; refuses it if that base changed. */
    public static OverlayStore open(Path overlay) throws IOException {
        return open(overlay, false, 1);
    }

    /** Opens {@code layer} read-only: a raw image, or a frozen overlay with the chain below it. */
    public static BlockStore openLayer(Path layer) throws IOException {
        return openLayer(layer, 1);
    }

    /** {@link #openLayer(Path)} as layer {@code depth} of a chain, the top one being 1. */
    private static BlockStore openLayer(Path layer, int depth) throws IOException {
        if (!isOverlay(layer)) {
            return RawImageStore.open(layer, true);
        }
        if (depth > MAX_DEPTH) {
            throw new IOException("overlay " + layer + " is layer " + depth + " of a chain; a chain has at most "
                    + MAX_DEPTH + " (a header loop, or a machine snapshotted past the limit without flattening)");
        }
        return open(layer, true, depth);
    }

    /** Whether {@code file} is an overlay, by its name ({@link #SUFFIX}). */
    public static boolean isOverlay(Path file) {
        return file.getFileName().toString().endsWith(SUFFIX);
    }

    /** The base {@code overlay}'s header names, read without opening the chain. */
    public static Path baseOf(Path overlay) throws IOException {
        try (FileChannel file = FileChannel.open(overlay, StandardOpenOption.READ)) {
            return header(file, overlay).base();
        }
    }

    private static OverlayHeader header(FileChannel file, Path overlay) throws IOException {
        long size = file.size();
        if (size < OverlayHeader.BYTES) {
            throw new IOException("overlay " + overlay + " is " + size + " bytes, too short for a Flint overlay");
        }
        ByteBuffer raw = ByteBuffer.allocate(OverlayHeader.BYTES);
        FileIo.readFully(file, raw, size - OverlayHeader.BYTES, "overlay " + overlay);
        return OverlayHeader.decode(raw.clear(), overlay);
    }

    private static OverlayStore open(Path overlay, boolean frozen, int depth) throws IOException {
        FileChannel file = frozen ? FileChannel.open(overlay, StandardOpenOption.READ)
                : FileChannel.open(overlay, StandardOpenOption.READ, StandardOpenOption.WRITE);
        BlockStore base = null;
        try {
            FileLock lock = frozen ? null : lock(file, overlay);
            long size = file.size();
            OverlayHeader header = header(file, overlay);
            long clusters = clusters(header.capacity());
            long expected = dataBytes(header.capacity()) + ClusterMap.bytes(clusters) + OverlayHeader.BYTES;
            if (size != expected) {
                throw new IOException("overlay " + overlay + " is " + size + " bytes where its header says " + expected
                        + ": it was truncated or appended to");
            }
            try (FileChannel baseFile = FileChannel.open(header.base(), StandardOpenOption.READ)) {
                base = openLayer(header.base(), depth + 1);
                header.checkBase(baseFile, base.capacity(), overlay);
            } catch (NoSuchFileException e) {
                throw new IOException("base image " + header.base() + " of overlay " + overlay
                        + " is missing: an overlay is only a layer over it", e);
            }
            ClusterMap map = ClusterMap.read(file, dataBytes(header.capacity()), clusters, overlay);
            return new OverlayStore(overlay, header, base, file, lock, map, frozen ? null : FileHoles.open(overlay));
        } catch (IOException | RuntimeException e) {
            closeQuietly(base, e);
            closeQuietly(file, e);
            throw e;
        }
    }

    /** The overlay file. */
    public Path path() {
        return path;
    }

    /** The read-only base image this layer is over (absolute). */
    public Path base() {
        return header.base();
    }

    /** Layers in this chain: 1 over a raw image, one more per frozen overlay below. */
    public int chainLength() {
        return 1 + (base instanceof OverlayStore below ? below.chainLength() : 0);
    }

    /** Clusters of {@link #CLUSTER} bytes the guest has written into this layer. */
    public long allocatedClusters() {
        return map.allocatedCount();
    }

    @Override
    public long capacity() {
        return header.capacity();
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        read(offset, new ByteBuffer[] {dst});
    }

    /** One scatter read per run of clusters that lie in the same layer. */
    @Override
    public void read(long offset, ByteBuffer[] dst) throws IOException {
        long end = offset + FileIo.remaining(dst);
        FileIo.checkInside(offset, end - offset, capacity());
        for (long at = offset; at < end; ) {
            boolean inOverlay = map.allocated(at / CLUSTER);
            long runEnd = (at / CLUSTER + 1) * CLUSTER;
            while (runEnd < end && map.allocated(runEnd / CLUSTER) == inOverlay) {
                runEnd += CLUSTER;
            }
            runEnd = Math.min(runEnd, end);
            ByteBuffer[] run = FileIo.take(dst, runEnd - at);
            if (inOverlay) {
                FileIo.readFully(overlay, run, at, "overlay " + path);
            } else {
                base.read(at, run);
            }
            at = runEnd;
        }
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        write(offset, new ByteBuffer[] {src});
    }

    /** One gather write, after the copy-on-write of the clusters at its two ends. */
    @Override
    public void write(long offset, ByteBuffer[] src) throws IOException {
        if (lock == null) {
            throw new IOException("overlay " + path + " is a frozen layer, the base of others; it is never written");
        }
        long length = FileIo.remaining(src);
        FileIo.checkInside(offset, length, capacity());
        if (length == 0) {
            return;
        }
        long end = offset + length;
        long first = offset / CLUSTER;
        long last = (end - 1) / CLUSTER;
        copyUncovered(first, offset, end);
        if (last != first) {
            copyUncovered(last, offset, end);
        }
        FileIo.writeFully(overlay, src, offset);
        // Only once all of the cluster's bytes are in the overlay: a failed write leaves it on the base.
        for (long cluster = first; cluster <= last; cluster++) {
            map.allocate(cluster);
        }
    }

    /** Copy-on-write: the base bytes of a new cluster that a write to [from, to) leaves uncovered. */
    private void copyUncovered(long cluster, long from, long to) throws IOException {
        if (map.allocated(cluster)) {
            return;
        }
        long start = cluster * CLUSTER;
        long stop = Math.min(start + CLUSTER, capacity());
        copyFromBase(start, Math.min(Math.max(from, start), stop));
        copyFromBase(Math.max(Math.min(to, stop), start), stop);
    }

    private void copyFromBase(long from, long to) throws IOException {
        if (to > from) {
            copy.clear().limit((int) (to - from));
            base.read(from, copy);
            FileIo.writeFully(overlay, copy.flip(), from);
        }
    }

    /**
     * The whole clusters in the range become the overlay's, zeroed in place (holes when
     * {@code deallocate}) so that they read as zeros rather than from the base; the clusters it
     * covers only in part are written as zeros, copy-on-write.
     */
    @Override
    public void zero(long offset, long length, boolean deallocate) throws IOException {
        FileIo.checkInside(offset, length, capacity());
        long end = offset + length;
        long wholeStart = Math.min((offset + CLUSTER - 1) / CLUSTER * CLUSTER, end);
        long wholeEnd = Math.max(end == capacity() ? end : end / CLUSTER * CLUSTER, wholeStart);
        FileIo.writeZeros(this, offset, wholeStart - offset);
        if (wholeEnd > wholeStart && holes != null && holes.zero(wholeStart, wholeEnd - wholeStart, deallocate)) {
            // Set only once the range is zero in the overlay; durable after it, as for writes (flush).
            for (long cluster = wholeStart / CLUSTER; cluster * CLUSTER < wholeEnd; cluster++) {
                map.allocate(cluster);
            }
        } else {
            FileIo.writeZeros(this, wholeStart, wholeEnd - wholeStart);
        }
        FileIo.writeZeros(this, wholeEnd, end - wholeEnd);
    }

    /** Data first, then the map bits that point at it, each made durable in that order. */
    @Override
    public void flush() throws IOException {
        if (lock == null) {
            return;
        }
        overlay.force(false);
        if (map.dirty()) {
            map.writeDirty(overlay, mapAt);
            overlay.force(false);
        }
    }

    /** Flushes (so the layer survives a stop and start), then closes both files. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            flush();
        } finally {
            try (base; overlay; holes) {
                if (lock != null) {
                    lock.release();
                }
            }
        }
    }

    private static long clusters(long capacity) {
        return (capacity + CLUSTER - 1) / CLUSTER;
    }

    private static long dataBytes(long capacity) {
        return clusters(capacity) * CLUSTER;
    }

    private static FileLock lock(FileChannel file, Path overlay) throws IOException {
        FileLock lock;
        try {
            lock = file.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            throw new IOException("overlay " + overlay + " is in use by another machine; a disk layer has one writer");
        }
        return lock;
    }

    /** So that the new file's directory entry survives a host crash as well as its contents. */
    private static void syncDirectory(Path dir) throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    private static void deleteQuietly(Path file, Exception cause) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            cause.addSuppressed(e);
        }
    }

    private static void closeQuietly(AutoCloseable file, Exception cause) {
        if (file != null) {
            try {
                file.close();
            } catch (Exception e) {
                cause.addSuppressed(e);
            }
        }
    }
}
