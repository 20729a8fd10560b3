package dev.flint.virtio.fs;

import dev.flint.image.tree.ImageTree;

import java.nio.charset.StandardCharsets;
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
    void publish(String name, ImageTree tree) {
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
