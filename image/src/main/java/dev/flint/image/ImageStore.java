package dev.flint.image;

import dev.flint.image.registry.Compression;
import dev.flint.image.registry.Descriptor;
import dev.flint.image.registry.FetchedManifest;
import dev.flint.image.registry.ImageManifest;
import dev.flint.image.registry.Manifests;
import dev.flint.image.registry.MediaTypes;
import dev.flint.image.registry.Platform;
import dev.flint.image.registry.RegistryClient;
import dev.flint.image.store.ArchiveLoader;
import dev.flint.image.store.BlobStore;
import dev.flint.image.store.LoadedImage;
import dev.flint.image.store.RefDatabase;
import dev.flint.image.store.StoreGuard;
import dev.flint.image.store.StoredReference;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

/**
 * The host's image cache ({@code $FLINT_HOME/images}): pulls images from registries or loads
 * them from archives into content-addressed files, names them in {@code refs.db}, and frees what
 * no name needs. Safe to use from several threads and processes at once: each blob is fetched
 * once, and a killed pull leaves nothing a later one trusts.
 */
public final class ImageStore implements AutoCloseable {
    private final Path root;
    private final RegistrySettings settings;
    private final RegistryClient client;
    private final BlobStore blobs;
    private final RefDatabase refs;
    private final StoreGuard guard;

    private ImageStore(Path root, RegistrySettings settings, RegistryClient client) {
        this.root = root;
        this.settings = settings;
        this.client = client;
        this.blobs = new BlobStore(root);
        this.refs = RefDatabase.open(root);
        this.guard = StoreGuard.open(root.resolve("locks").resolve("store.lock"));
    }

    /** Opens (or makes) the store at {@code root}, removing temp files a killed pull left. */
    public static ImageStore open(Path root, RegistrySettings settings) {
        return new ImageStore(root, settings, new RegistryClient(settings));
    }

    /** Opens the store with its own registry client (tests: short retry backoff). */
    static ImageStore open(Path root, RegistrySettings settings, RegistryClient client) {
        return new ImageStore(root, settings, client);
    }

    /** The store's root directory. */
    public Path root() {
        return root;
    }

    /**
     * Makes {@code reference} available: see {@link PullPolicy} for when the network is used. The
     * image's last use is marked.
     *
     * @throws ImageNotFoundException with {@link PullPolicy#NEVER} when it is not stored, or when the registry lacks it
     */
    public PulledImage pull(ImageReference reference, PullPolicy policy, PullListener listener) {
        String key = reference.canonical();
        if (policy != PullPolicy.ALWAYS) {
            Optional<PulledImage> stored = find(reference);
            if (stored.isPresent()) {
                refs.touch(key, Instant.now());
                stored.get().layers().forEach(l -> {
                    listener.layerStarted(l.digest(), l.compressedSize());
                    listener.layerDone(l.digest(), true);
                });
                return stored.get();
            }
            if (policy == PullPolicy.NEVER) {
                throw new ImageNotFoundException(key + " is not in the image store and the pull policy is NEVER;"
                        + " pull it first ('flint image pull " + key + "') or allow pulls");
            }
        }
        guard.lockShared();
        try {
            return fetch(reference, listener);
        } finally {
            guard.unlockShared();
        }
    }

    private PulledImage fetch(ImageReference reference, PullListener listener) {
        FetchedManifest fetched = client.manifest(reference, reference.manifestReference());
        if (MediaTypes.isIndex(fetched.mediaType())) {
            Descriptor chosen = Manifests.choosePlatform(Manifests.indexEntries(fetched.body()), Platform.LINUX_AMD64,
                    reference.canonical());
            listener.message(reference.canonical() + ": using the " + chosen.platform() + " image " + chosen.digest());
            fetched = client.manifest(reference, chosen.digest());
            if (MediaTypes.isIndex(fetched.mediaType())) {
                throw new ImageException("the linux/amd64 entry of " + reference + " is another index; nested"
                        + " indexes are not supported, push a flat one");
            }
        }
        ImageManifest manifest = Manifests.manifest(fetched.body(), fetched.mediaType());
        Descriptor config = manifest.config();
        blobs.ensureBlob(config.digest(), temp -> client.downloadBlob(reference, config, temp, done -> {
        }));
        byte[] configJson = blobs.readBlob(config.digest());
        List<String> diffIds = checkedDiffIds(reference, manifest, configJson);
        List<Compression> compressions = manifest.layers().stream().map(l -> compressionOf(reference, l)).toList();
        runLayers(manifest.layers().size(), i -> {
            Descriptor layer = manifest.layers().get(i);
            listener.layerStarted(layer.digest(), layer.size());
            boolean downloaded = blobs.ensureBlob(layer.digest(), temp -> client.downloadBlob(reference, layer, temp,
                    done -> listener.layerProgress(layer.digest(), done, layer.size())));
            blobs.ensureLayer(diffIds.get(i), layer.digest(), compressions.get(i), listener::message);
            listener.layerDone(layer.digest(), !downloaded);
        });
        blobs.putBytes(fetched.digest(), fetched.body());
        return record(reference, fetched.digest(), manifest, configJson, diffIds);
    }

    private static List<String> checkedDiffIds(ImageReference reference, ImageManifest manifest, byte[] configJson) {
        List<String> diffIds = Manifests.diffIds(configJson);
        if (diffIds.size() != manifest.layers().size()) {
            throw new ImageException("the config of " + reference + " lists " + diffIds.size() + " layer diff ids"
                    + " but its manifest has " + manifest.layers().size() + " layers; the image is broken,"
                    + " rebuild or re-push it");
        }
        return diffIds;
    }

    private static Compression compressionOf(ImageReference reference, Descriptor layer) {
        return MediaTypes.layerCompression(layer.mediaType()).orElseThrow(() -> new ImageException("layer "
                + layer.digest() + " of " + reference + " has media type '" + layer.mediaType() + "', which is not"
                + " a container image layer; the reference may name a non-image artifact"));
    }

    private interface LayerTask {
        void run(int index);
    }

    /** Runs {@code task} for each layer on virtual threads, at most {@code parallelLayers} at once. */
    private void runLayers(int count, LayerTask task) {
        Semaphore slots = new Semaphore(settings.parallelLayers());
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int index = i;
                futures.add(executor.submit(() -> {
                    slots.acquireUninterruptibly();
                    try {
                        task.run(index);
                    } finally {
                        slots.release();
                    }
                    return null;
                }));
            }
            for (Future<?> future : futures) {
                try {
                    future.get();
                } catch (ExecutionException e) {
                    futures.forEach(f -> f.cancel(true));
                    if (e.getCause() instanceof RuntimeException runtime) {
                        throw runtime;
                    }
                    throw new ImageException("a layer failed: " + e.getCause(), e.getCause());
                } catch (InterruptedException e) {
                    futures.forEach(f -> f.cancel(true));
                    Thread.currentThread().interrupt();
                    throw new ImageException("interrupted while pulling layers", e);
                }
            }
        }
    }

    private PulledImage record(ImageReference reference, String manifestDigest, ImageManifest manifest,
                               byte[] configJson, List<String> diffIds) {
        PulledImage image = assemble(reference, manifestDigest, manifest, configJson, diffIds);
        Set<String> blobDigests = new LinkedHashSet<>();
        blobDigests.add(manifestDigest);
        blobDigests.add(manifest.config().digest());
        manifest.layers().forEach(l -> blobDigests.add(l.digest()));
        Instant now = Instant.now();
        refs.record(new StoredReference(reference.canonical(), manifestDigest, manifest.config().digest(),
                image.size(), now, now), blobDigests, diffIds);
        return image;
    }

    private PulledImage assemble(ImageReference reference, String manifestDigest, ImageManifest manifest,
                                 byte[] configJson, List<String> diffIds) {
        List<LayerFile> layers = new ArrayList<>();
        long size = BlobStore.sizeOf(blobs.blobPath(manifest.config().digest()));
        for (int i = 0; i < diffIds.size(); i++) {
            Descriptor layer = manifest.layers().get(i);
            Path tar = blobs.layerPath(diffIds.get(i));
            long blobSize = BlobStore.sizeOf(blobs.blobPath(layer.digest()));
            size += blobSize + (layer.digest().equals(diffIds.get(i)) ? 0 : BlobStore.sizeOf(tar));
            layers.add(new LayerFile(diffIds.get(i), layer.digest(), layer.mediaType(), blobSize, tar));
        }
        return new PulledImage(reference, manifestDigest, configJson, layers, size);
    }

    /** The stored image for {@code reference}, when it and every file it needs are in the store. */
    public Optional<PulledImage> find(ImageReference reference) {
        Optional<StoredReference> row = refs.find(reference.canonical());
        if (row.isEmpty() || !blobs.hasBlob(row.get().manifestDigest()) || !blobs.hasBlob(row.get().configDigest())) {
            return Optional.empty();
        }
        try {
            byte[] document = blobs.readBlob(row.get().manifestDigest());
            ImageManifest manifest = Manifests.manifest(document, Manifests.mediaTypeOf(document, ""));
            byte[] configJson = blobs.readBlob(manifest.config().digest());
            List<String> diffIds = checkedDiffIds(reference, manifest, configJson);
            for (int i = 0; i < diffIds.size(); i++) {
                if (!blobs.hasBlob(manifest.layers().get(i).digest()) || !blobs.hasLayer(diffIds.get(i))) {
                    return Optional.empty();
                }
            }
            return Optional.of(assemble(reference, row.get().manifestDigest(), manifest, configJson, diffIds));
        } catch (ImageException e) {
            return Optional.empty();
        }
    }

    /** Every stored reference, by name. */
    public List<ImageSummary> list() {
        return refs.list().stream().map(r -> new ImageSummary(r.reference(), r.manifestDigest(), r.size(),
                r.pulledAt(), r.lastUsed())).toList();
    }

    /**
     * Forgets a reference (as typed, normalized like a pull); its files stay until {@link #prune}.
     *
     * @return whether it was stored
     */
    public boolean remove(String referenceText) {
        String canonical;
        try {
            canonical = ImageReference.parse(referenceText).canonical();
        } catch (InvalidReferenceException e) {
            return refs.remove(referenceText);
        }
        return refs.remove(canonical) || refs.remove(referenceText);
    }

    /** Deletes every blob and uncompressed layer that no stored reference needs; waits for running pulls. */
    public PruneResult prune() {
        return guard.exclusive(() -> {
            List<Set<String>> needed = refs.neededFiles();
            long[] removed = blobs.removeAllExcept(needed.get(0), needed.get(1));
            return new PruneResult((int) removed[0], removed[1]);
        });
    }

    /**
     * Loads the images of a {@code docker save} archive (Docker's v1.2 format with
     * {@code manifest.json}, also with the OCI {@code index.json} newer Dockers add) or of an OCI
     * image layout directory. Names come from {@code RepoTags} or the
     * {@code org.opencontainers.image.ref.name} annotation.
     */
    public List<PulledImage> load(Path archiveOrLayout, PullListener listener) {
        guard.lockShared();
        try {
            List<PulledImage> loaded = new ArrayList<>();
            for (LoadedImage image : ArchiveLoader.load(archiveOrLayout, blobs)) {
                List<String> diffIds = checkedDiffIds(image.references().getFirst(), image.manifest(), image.config());
                for (int i = 0; i < diffIds.size(); i++) {
                    Descriptor layer = image.manifest().layers().get(i);
                    listener.layerStarted(layer.digest(), layer.size());
                    blobs.ensureLayer(diffIds.get(i), layer.digest(), MediaTypes.layerCompression(layer.mediaType())
                            .orElse(Compression.NONE), listener::message);
                    listener.layerDone(layer.digest(), false);
                }
                for (ImageReference reference : image.references()) {
                    loaded.add(record(reference, image.manifestDigest(), image.manifest(), image.config(), diffIds));
                }
            }
            return loaded;
        } finally {
            guard.unlockShared();
        }
    }

    @Override
    public void close() {
        refs.close();
        guard.close();
    }
}
