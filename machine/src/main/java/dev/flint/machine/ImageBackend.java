package dev.flint.machine;

import dev.flint.image.ImageSummary;
import dev.flint.image.PruneResult;
import dev.flint.image.PullListener;
import dev.flint.image.PullPolicy;

import java.nio.file.Path;
import java.util.List;

/** What an {@link Images} handle drives: the store in this JVM, or a server's. References arrive parsed and canonical. */
interface ImageBackend {
    ImageSummary pull(String reference, PullPolicy policy, PullListener listener);

    List<ImageSummary> list();

    boolean remove(String reference);

    PruneResult prune();

    /** {@code source} is a path on the host that keeps the store. */
    List<ImageSummary> load(Path source, PullListener listener);
}
