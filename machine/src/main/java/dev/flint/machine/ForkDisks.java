package dev.flint.machine;

import java.io.IOException;
import java.nio.file.Path;

/**
 * How a snapshot holds a machine's disk as it was, and how a machine made from it gets a writable
 * disk of its own: the seam between snapshots and forks and the block layer.
 * {@link #SPARSE_COPY} copies (holes stay holes); a copy-on-write layer over a read-only base
 * (virtio-blk's overlay store) plugs in here without the snapshot code changing.
 */
public interface ForkDisks {
    /** Copies every byte of data, skipping holes: correct on any file system, costs the disk's used size. */
    ForkDisks SPARSE_COPY = new ForkDisks() {
        @Override
        public void freeze(Path image, Path frozen) throws IOException {
            SparseCopy.copy(image, frozen);
        }

        @Override
        public void branch(Path frozen, Path disk) throws IOException {
            SparseCopy.copy(frozen, disk);
        }
    };

    /**
     * Writes {@code frozen}, which holds {@code image} as it is now and never changes again; the
     * machine's disk is quiescent (its VM paused) while this runs.
     */
    void freeze(Path image, Path frozen) throws IOException;

    /**
     * Gives a new machine the writable disk {@code disk} whose content starts as {@code frozen};
     * {@code frozen} stays until every machine branched from it is deleted.
     */
    void branch(Path frozen, Path disk) throws IOException;
}
