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
 * the rest of the cluster from the base first (copy-on-write). {@link #flush()} makes the data
 * durable, then the map bits that point at it, so a host crash leaves a consistent disk and a
 * fork's disk survives a stop and start. The overlay is locked while open: two machines never
 * write one layer.
 */
public final class OverlayStore implements BlockStore {
    /** Copy-on-write unit: qcow2's default, small enough that a 4 KiB write copies little. */
    public static final int CLUSTER = 64 * 1024;
    private final Path path;
    private final OverlayHeader header;
    private final FileChannel base;
    private final FileChannel overlay;
    private final FileLock lock;
    private final ClusterMap map;
    private final long mapAt;
    private final ByteBuffer copy = ByteBuffer.allocateDirect(CLUSTER);
    private boolean closed;

    private OverlayStore(Path path, OverlayHeader header, FileChannel base, FileChannel overlay, FileLock lock,
                         ClusterMap map) {
        this.path = path;
        this.header = header;
        this.base = base;
        this.overlay = overlay;
        this.lock = lock;
        this.map = map;
        this.mapAt = dataBytes(header.capacity());
    }

    /**
     * Makes a new, empty overlay file {@code overlay} (it must not exist) over {@code base} (a
     * non-empty multiple of 512 bytes, which must not change while the overlay lives) and opens it.
     */
    public static OverlayStore create(Path base, Path overlay) throws IOException {
        FileIo.imageSize(base);
        OverlayHeader header;
        try (FileChannel baseFile = FileChannel.open(base, StandardOpenOption.READ)) {
            header = OverlayHeader.describe(base, baseFile);
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
        FileChannel file = FileChannel.open(overlay, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileChannel base = null;
        try {
            FileLock lock = lock(file, overlay);
            long size = file.size();
            if (size < OverlayHeader.BYTES) {
                throw new IOException("overlay " + overlay + " is " + size + " bytes, too short for a Flint overlay");
            }
            ByteBuffer raw = ByteBuffer.allocate(OverlayHeader.BYTES);
            FileIo.readFully(file, raw, size - OverlayHeader.BYTES, "overlay " + overlay);
            OverlayHeader header = OverlayHeader.decode(raw.clear(), overlay);
            long clusters = clusters(header.capacity());
            long expected = dataBytes(header.capacity()) + ClusterMap.bytes(clusters) + OverlayHeader.BYTES;
            if (size != expected) {
                throw new IOException("overlay " + overlay + " is " + size + " bytes where its header says " + expected
                        + ": it was truncated or appended to");
            }
            try {
                base = FileChannel.open(header.base(), StandardOpenOption.READ);
            } catch (NoSuchFileException e) {
                throw new IOException("base image " + header.base() + " of overlay " + overlay
                        + " is missing: an overlay is only a layer over it", e);
            }
            header.checkBase(base, overlay);
            ClusterMap map = ClusterMap.read(file, dataBytes(header.capacity()), clusters, overlay);
            return new OverlayStore(overlay, header, base, file, lock, map);
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
        FileIo.checkInside(offset, dst.remaining(), capacity());
        long end = offset + dst.remaining();
        for (long at = offset; at < end; ) {
            boolean inOverlay = map.allocated(at / CLUSTER);
            long runEnd = (at / CLUSTER + 1) * CLUSTER;
            while (runEnd < end && map.allocated(runEnd / CLUSTER) == inOverlay) {
                runEnd += CLUSTER;
            }
            runEnd = Math.min(runEnd, end);
            int length = (int) (runEnd - at);
            FileIo.readFully(inOverlay ? overlay : base, dst.slice(dst.position(), length), at,
                    inOverlay ? "overlay " + path : "base image " + header.base());
            dst.position(dst.position() + length);
            at = runEnd;
        }
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        long length = src.remaining();
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
            FileIo.readFully(base, copy, from, "base image " + header.base());
            FileIo.writeFully(overlay, copy.flip(), from);
        }
    }

    /** Data first, then the map bits that point at it, each made durable in that order. */
    @Override
    public void flush() throws IOException {
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
            try (base; overlay) {
                lock.release();
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

    private static void closeQuietly(FileChannel file, Exception cause) {
        if (file != null) {
            try {
                file.close();
            } catch (IOException e) {
                cause.addSuppressed(e);
            }
        }
    }
}
