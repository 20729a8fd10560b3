package dev.flint.virtio.blk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.BitSet;

/**
 * Which clusters of an overlay hold the disk's bytes (bit set) and which still read from the
 * base. Bits only go from 0 to 1, and the map's 4 KiB pages that changed are written back on
 * {@link #writeDirty}, after the data they point at is durable: so whichever of those page
 * writes a host crash keeps, every set bit names a cluster whose data is on disk.
 */
final class ClusterMap {
    static final int PAGE = 4096;
    private final long clusters;
    private final byte[] bits;
    private final BitSet dirtyPages = new BitSet();
    private long allocated;

    private ClusterMap(long clusters, byte[] bits) {
        this.clusters = clusters;
        this.bits = bits;
    }

    /** Bytes the map takes in the file for {@code clusters} clusters: whole pages. */
    static long bytes(long clusters) {
        long used = (clusters + 7) / 8;
        return (used + PAGE - 1) / PAGE * PAGE;
    }

    static ClusterMap empty(long clusters) {
        return new ClusterMap(clusters, new byte[Math.toIntExact(bytes(clusters))]);
    }

    /** Reads the map stored at {@code at}; a bit past the last cluster means a corrupt file. */
    static ClusterMap read(FileChannel file, long at, long clusters, Path overlay) throws IOException {
        ClusterMap map = empty(clusters);
        FileIo.readFully(file, ByteBuffer.wrap(map.bits), at, "overlay " + overlay);
        BitSet set = BitSet.valueOf(map.bits);
        if (set.length() > clusters) {
            throw new IOException("overlay " + overlay + " has an allocation bit for cluster " + (set.length() - 1)
                    + " of a disk of " + clusters + " clusters: the file is corrupt");
        }
        map.allocated = set.cardinality();
        return map;
    }

    boolean allocated(long cluster) {
        return (bits[index(cluster)] & (1 << (cluster & 7))) != 0;
    }

    void allocate(long cluster) {
        int i = index(cluster);
        int bit = 1 << (cluster & 7);
        if ((bits[i] & bit) == 0) {
            bits[i] |= (byte) bit;
            dirtyPages.set(i / PAGE);
            allocated++;
        }
    }

    long allocatedCount() {
        return allocated;
    }

    boolean dirty() {
        return !dirtyPages.isEmpty();
    }

    /** Writes the pages that changed since the last call to the map stored at {@code at}. */
    void writeDirty(FileChannel file, long at) throws IOException {
        for (int page = dirtyPages.nextSetBit(0); page >= 0; page = dirtyPages.nextSetBit(page + 1)) {
            FileIo.writeFully(file, ByteBuffer.wrap(bits, page * PAGE, PAGE), at + (long) page * PAGE);
            dirtyPages.clear(page);
        }
    }

    ByteBuffer all() {
        return ByteBuffer.wrap(bits);
    }

    private int index(long cluster) {
        if (cluster < 0 || cluster >= clusters) {
            throw new IndexOutOfBoundsException("cluster " + cluster + " of " + clusters);
        }
        return (int) (cluster >>> 3);
    }
}
