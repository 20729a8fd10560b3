package dev.flint.virtio.fs;

import dev.flint.image.tree.ImageTree;

import dev.flint.vmm.snapshot.SnapshotException;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The trees an image share offers, by name. {@link #publish} may be called from any thread
 * while the event loop serves the guest; a name, once published, keeps its tree for the life of
 * the share, so every node id the guest was given stays valid.
 *
 * <p>Node ids: 1 is the share's root; a tree's node is its tree's index (from 1) shifted
 * {@value #INDEX_SHIFT} bits left, plus the node's inode number, so each (tree, node) has one id
 * and hard links share it.
 */
final class PublishedTrees {
    static final int INDEX_SHIFT = 40;
    static final long INODE_MASK = (1L << INDEX_SHIFT) - 1;
    static final int MAX_TREES = (1 << (63 - INDEX_SHIFT)) - 1;
    static final int MAX_NAME_BYTES = 255;

    private final Map<String, PublishedTree> byName = new ConcurrentHashMap<>();
    private final Map<Integer, PublishedTree> byIndex = new ConcurrentHashMap<>();
    private final AtomicInteger nextIndex = new AtomicInteger(1);
    private volatile long changedSeconds = System.currentTimeMillis() / 1000;

    /**
     * Offers {@code tree} as {@code name}. Publishing the same tree again is a no-op; another
     * tree under a name already taken is refused, since the guest may still be using the first.
     */
    synchronized void publish(String name, ImageTree tree) {
        checkName(name);
        PublishedTree existing = byName.get(name);
        if (existing != null) {
            requireSame(existing, tree);
            return;
        }
        int index = nextIndex.getAndIncrement();
        if (index > MAX_TREES) {
            throw new IllegalStateException("this image share already published " + MAX_TREES
                    + " trees; attach a new share");
        }
        PublishedTree published = new PublishedTree(index, name, tree);
        byIndex.put(index, published);
        existing = byName.putIfAbsent(name, published);
        if (existing != null) {
            byIndex.remove(index);
            requireSame(existing, tree);
            return;
        }
        changedSeconds = System.currentTimeMillis() / 1000;
    }

    private static void requireSame(PublishedTree existing, ImageTree tree) {
        if (existing.tree() != tree) {
            throw new IllegalStateException("another image tree is already published as '" + existing.name()
                    + "'; publish this one under a new name (the guest may still use the old one)");
        }
    }

    static void checkName(String name) {
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes == 0 || bytes > MAX_NAME_BYTES || name.equals(".") || name.equals("..")
                || name.indexOf('/') >= 0 || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("image tree name '" + name + "' must be 1 to " + MAX_NAME_BYTES
                    + " bytes of UTF-8, not '.' or '..', without '/' or NUL");
        }
    }

    /** Each published tree's index and name, for a snapshot. */
    synchronized List<ImageShareState.Tree> captureState() {
        List<ImageShareState.Tree> saved = new ArrayList<>();
        byIndex.values().stream().sorted(Comparator.comparingInt(PublishedTree::index))
                .forEach(t -> saved.add(new ImageShareState.Tree(t.index(), t.name())));
        return saved;
    }

    /**
     * Gives each saved tree its saved index again, so the node ids the guest holds name the same
     * nodes. The caller publishes every saved name (in any order) before the restore; trees it
     * published beyond those get indices after the saved ones. Called before the guest runs.
     */
    synchronized void restoreState(List<ImageShareState.Tree> saved) throws SnapshotException {
        Map<Integer, PublishedTree> indexed = new HashMap<>();
        for (ImageShareState.Tree tree : saved) {
            PublishedTree published = byName.get(tree.name());
            if (published == null) {
                throw new SnapshotException("image tree '" + tree.name() + "' was published in the image share at the"
                        + " snapshot but is not now; publish the same image trees before restoring");
            }
            if (indexed.put(tree.index(), new PublishedTree(tree.index(), tree.name(), published.tree())) != null) {
                throw new SnapshotException("the saved image share gives index " + tree.index() + " to two trees;"
                        + " the snapshot is corrupt");
            }
        }
        int next = indexed.keySet().stream().mapToInt(Integer::intValue).max().orElse(0) + 1;
        for (PublishedTree published : new TreeMap<>(byName).values()) {
            if (indexed.values().stream().noneMatch(t -> t.name().equals(published.name()))) {
                indexed.put(next, new PublishedTree(next, published.name(), published.tree()));
                next++;
            }
        }
        byIndex.clear();
        byName.clear();
        for (PublishedTree tree : indexed.values()) {
            byIndex.put(tree.index(), tree);
            byName.put(tree.name(), tree);
        }
        nextIndex.set(next);
    }

    boolean isPublished(String name) {
        return byName.containsKey(name);
    }

    Optional<PublishedTree> byName(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    Optional<PublishedTree> byIndex(int index) {
        return Optional.ofNullable(byIndex.get(index));
    }

    /** The trees now published, sorted by name: what a listing of the root shows. */
    TreeMap<String, PublishedTree> snapshot() {
        return new TreeMap<>(byName);
    }

    int size() {
        return byName.size();
    }

    /** When the set of names last changed (the root directory's mtime). */
    long changedSeconds() {
        return changedSeconds;
    }

    static long nodeId(PublishedTree tree, long inode) {
        return ((long) tree.index() << INDEX_SHIFT) | inode;
    }
}
