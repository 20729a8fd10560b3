package dev.flint.image;

/** What {@link ImageStore#prune} freed: files (blobs and uncompressed layers) and their bytes. */
public record PruneResult(int blobsRemoved, long bytesFreed) {
}
