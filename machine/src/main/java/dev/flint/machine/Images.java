package dev.flint.machine;

import dev.flint.image.ImageException;
import dev.flint.image.ImageReference;
import dev.flint.image.ImageStore;
import dev.flint.image.ImageSummary;
import dev.flint.image.LayerFile;
import dev.flint.image.PruneResult;
import dev.flint.image.PullListener;
import dev.flint.image.PullPolicy;
import dev.flint.image.PulledImage;
import dev.flint.image.RegistrySettings;
import dev.flint.image.config.ImageConfig;
import dev.flint.image.tree.ImageTree;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The OCI images of a host: pulled from registries or loaded from archives into the
 * content-addressed store under {@code $FLINT_HOME/images}, shared by every machine there.
 * Machines reach them through {@link Machine#run} and {@link MachineConfig.Builder#image}; this
 * handle pulls ahead of time, lists, removes, prunes and loads, in this JVM ({@link #local()})
 * or in a Flint server ({@link #connect(ConnectOptions)}).
 *
 * <pre>{@code
 * Images images = Images.local();
 * ImageSummary python = images.pull("python:3.12");        // unless stored already
 * System.out.println(python.reference() + " " + python.manifestDigest() + " " + python.size() + " bytes");
 * try (Machine m = Machine.create(MachineConfig.builder().name("w1").build())) {
 *     System.out.print(m.run("python:3.12", List.of("python3", "-c", "print(2 + 2)")).stdout());
 * }
 * images.remove("python:3.12");
 * images.prune();                                             // frees its blobs
 * }</pre>
 */
public final class Images {
    private static final Map<Path, Images> OPEN = new ConcurrentHashMap<>();

    private final ImageBackend backend;
    private final LocalImages local;

    private Images(ImageBackend backend, LocalImages local) {
        this.backend = backend;
        this.local = local;
    }

    /** The store under {@code $FLINT_HOME/images}, with registry settings from the environment (FLINT_INSECURE_REGISTRIES, ~/.docker/config.json). */
    public static Images local() {
        return open(FlintHome.resolve().resolve("images"));
    }

    /** The store under {@code root}; one handle per directory in this JVM. */
    public static Images open(Path root) {
        return OPEN.computeIfAbsent(root.toAbsolutePath().normalize(), dir -> {
            LocalImages store = new LocalImages(ImageStore.open(dir, RegistrySettings.fromEnvironment()));
            return new Images(store, store);
        });
    }

    /**
     * The store of the Flint server {@code options} names (pulls happen there, for its
     * machines), or {@link #local()} when the options are local.
     */
    public static Images connect(ConnectOptions options) {
        if (Objects.requireNonNull(options, "options").isLocal()) {
            return local();
        }
        return new Images(new RemoteImages(new RemoteEngine(options.serverUri().orElseThrow(), options.token())), null);
    }

    /** Pulls {@code reference} unless it is stored already. */
    public ImageSummary pull(String reference) {
        return pull(reference, PullPolicy.MISSING, PullListener.NONE);
    }

    /** Pulls {@code reference} by {@code policy}, telling {@code listener} each layer's progress. */
    public ImageSummary pull(String reference, PullPolicy policy, PullListener listener) {
        return backend.pull(canonical(reference), Objects.requireNonNull(policy, "policy"),
                Objects.requireNonNull(listener, "listener"));
    }

    /** Every stored reference with its digest, size, pull time and last use. */
    public List<ImageSummary> list() {
        return backend.list();
    }

    /** Forgets {@code reference}; its blobs stay until {@link #prune()}. Returns whether it was stored. */
    public boolean remove(String reference) {
        return backend.remove(canonical(reference));
    }

    /** Frees every blob and unpacked layer that no stored reference needs. */
    public PruneResult prune() {
        return backend.prune();
    }

    /** Loads a {@code docker save} archive or an OCI image layout (a path on the store's host): no registry needed. */
    public List<ImageSummary> load(Path archiveOrLayout, PullListener listener) {
        return backend.load(Objects.requireNonNull(archiveOrLayout, "archiveOrLayout"), Objects.requireNonNull(listener, "listener"));
    }

    /** The image's root as a machine in this JVM serves it: pulled by {@code policy}, flattened once per digest. */
    ImageRootfs rootfs(String reference, PullPolicy policy, PullListener listener) {
        if (local == null) {
            throw new IllegalStateException("a server's images are served by the server");
        }
        return local.rootfs(canonical(reference), policy, listener);
    }

    static String canonical(String reference) {
        try {
            return ImageReference.parse(Objects.requireNonNull(reference, "reference")).canonical();
        } catch (ImageException e) {
            throw new InvalidConfigException(e.getMessage());
        }
    }

    /** The store in this JVM, with each image's flattened tree built once per manifest digest. */
    private static final class LocalImages implements ImageBackend {
        private final ImageStore store;
        private final Map<String, ImageRootfs> roots = new ConcurrentHashMap<>();

        LocalImages(ImageStore store) {
            this.store = store;
        }

        @Override
        public ImageSummary pull(String reference, PullPolicy policy, PullListener listener) {
            return summary(store.pull(ImageReference.parse(reference), policy, listener));
        }

        @Override
        public List<ImageSummary> list() {
            return store.list();
        }

        @Override
        public boolean remove(String reference) {
            return store.remove(reference);
        }

        @Override
        public PruneResult prune() {
            roots.clear();
            return store.prune();
        }

        @Override
        public List<ImageSummary> load(Path source, PullListener listener) {
            return store.load(source, listener).stream().map(this::summary).toList();
        }

        ImageRootfs rootfs(String reference, PullPolicy policy, PullListener listener) {
            PulledImage image = store.pull(ImageReference.parse(reference), policy, listener);
            return roots.computeIfAbsent(image.manifestDigest(), digest -> flatten(image));
        }

        private ImageSummary summary(PulledImage image) {
            String reference = image.reference().canonical();
            return store.list().stream().filter(s -> s.reference().equals(reference)).findFirst()
                    .orElseGet(() -> new ImageSummary(reference, image.manifestDigest(), image.size(), Instant.now(),
                            Instant.now()));
        }

        /** A layer that cannot be read fails with {@link dev.flint.image.tree.InvalidLayerException}, which says what to do. */
        private static ImageRootfs flatten(PulledImage image) {
            ImageTree tree = ImageTree.flatten(image.layers().stream().map(LayerFile::uncompressedTar).toList());
            return new ImageRootfs(image, ImageConfig.parse(image.configJson()), tree);
        }
    }
}
