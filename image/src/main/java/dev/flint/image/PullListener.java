package dev.flint.image;

/**
 * Progress of a pull or load, so a CLI can draw bars. Called from the download threads, possibly
 * at once for different layers: implementations must be thread-safe.
 */
public interface PullListener {
    /** A listener that ignores everything. */
    PullListener NONE = new PullListener() {
        @Override
        public void layerStarted(String digest, long size) {
        }

        @Override
        public void layerProgress(String digest, long done, long size) {
        }

        @Override
        public void layerDone(String digest, boolean cached) {
        }
    };

    /** The layer blob {@code digest} of {@code size} bytes is about to be fetched (or found). */
    void layerStarted(String digest, long size);

    /** {@code done} of {@code size} bytes of the layer have arrived. */
    void layerProgress(String digest, long done, long size);

    /** The layer is stored and unpacked; {@code cached}: nothing had to be downloaded. */
    void layerDone(String digest, boolean cached);

    /** A line worth showing the user (a retry, a platform choice). */
    default void message(String message) {
    }
}
