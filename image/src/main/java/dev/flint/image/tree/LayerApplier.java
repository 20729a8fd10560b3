package dev.flint.image.tree;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * Applies layer changesets, bottom first, to one growing tree, with the OCI whiteout rules
 * (image-spec layer.md): a layer's whiteouts ({@code .wh.NAME}, and the opaque marker
 * {@code .wh..wh..opq}) remove what the lower layers had, and are applied before any of the
 * layer's own entries, whatever their order in the tar, since a whiteout never hides a file of
 * its own layer. A hard link may still name a file its own layer whites out (tar order put the
 * link first): it links to the lower node the whiteout removed. A parent path through a symlink
 * follows it inside the tree, as containerd's applier does; a parent that is not a directory is
 * replaced by one.
 */
final class LayerApplier {
    static final String WHITEOUT_PREFIX = ".wh.";
    static final String OPAQUE_MARKER = ".wh..wh..opq";
    private static final Logger LOG = Logger.getLogger(LayerApplier.class.getName());

    private final TreeNode root = TreeNode.implicitDirectory();
    /** What the current layer's whiteouts removed, by path, for hard links that name it. */
    private final Map<String, TreeNode> whitedOut = new HashMap<>();

    TreeNode root() {
        return root;
    }

    void apply(LayerIndex layer) {
        whitedOut.clear();
        for (TarEntry entry : layer.entries()) {
            if (entry.name().startsWith(WHITEOUT_PREFIX)) {
                whiteout(entry);
            }
        }
        for (TarEntry entry : layer.entries()) {
            if (!entry.name().startsWith(WHITEOUT_PREFIX)) {
                add(entry, layer.tar());
            }
        }
    }

    private void whiteout(TarEntry entry) {
        TreeNode directory = directory(entry.parent(), false);
        if (directory == null) {
            return; // nothing below to hide
        }
        if (entry.name().equals(OPAQUE_MARKER)) {
            for (Map.Entry<String, TreeNode> child : directory.mutableChildren().entrySet()) {
                unlink(child.getValue());
                whitedOut.put(join(entry.parent(), child.getKey()), child.getValue());
            }
            directory.mutableChildren().clear();
            return;
        }
        String hidden = entry.name().substring(WHITEOUT_PREFIX.length());
        if (hidden.isEmpty() || hidden.equals(".") || hidden.equals("..")) {
            return;
        }
        TreeNode removed = directory.mutableChildren().remove(hidden);
        if (removed != null) {
            unlink(removed);
            whitedOut.put(join(entry.parent(), hidden), removed);
        }
    }

    private static String join(String parent, String name) {
        return parent.isEmpty() ? name : parent + "/" + name;
    }

    /** The node {@code path} named before this layer's whiteouts removed it, or null. */
    private TreeNode whitedOut(String path) {
        List<String> components = List.of(path.split("/"));
        for (int i = components.size(); i >= 1; i--) {
            TreeNode node = whitedOut.get(String.join("/", components.subList(0, i)));
            for (int j = i; node != null && j < components.size(); j++) {
                node = node.child(components.get(j));
            }
            if (node != null) {
                return node;
            }
        }
        return null;
    }

    private void add(TarEntry entry, Path tar) {
        if (entry.path().isEmpty()) {
            if (entry.type() == EntryType.DIRECTORY) {
                root.setMetadata(entry); // the "./" member describes the root itself
            }
            return;
        }
        TreeNode directory = directory(entry.parent(), true);
        String name = entry.name();
        TreeNode existing = directory.child(name);
        switch (entry.type()) {
            case DIRECTORY -> {
                if (existing != null && existing.isDirectory()) {
                    existing.setMetadata(entry); // like tar: an existing directory keeps its contents
                } else {
                    replace(directory, name, existing, TreeNode.of(entry, tar));
                }
            }
            case HARDLINK -> {
                TreeNode target = TreeWalker.resolve(root, entry.linkTarget(), false);
                if (target == null) {
                    target = whitedOut(entry.linkTarget());
                }
                if (target == null || target.isDirectory()) {
                    LOG.warning("layer " + tar + ": skipped hard link '" + entry.path() + "' to '" + entry.linkTarget()
                            + "': " + (target == null ? "no such file in this or a lower layer" : "it is a directory"));
                    return;
                }
                if (target != existing) {
                    replace(directory, name, existing, target);
                    target.addLink(1);
                }
            }
            default -> replace(directory, name, existing, TreeNode.of(entry, tar));
        }
    }

    private static void replace(TreeNode directory, String name, TreeNode existing, TreeNode node) {
        if (existing != null) {
            unlink(existing);
        }
        directory.mutableChildren().put(name, node);
    }

    /**
     * The directory at {@code path}; with {@code create}, missing or non-directory components
     * become implicit directories, otherwise null when there is none.
     */
    private TreeNode directory(String path, boolean create) {
        List<String> components = path.isEmpty() ? List.of() : List.of(path.split("/"));
        TreeNode current = root;
        for (int i = 0; i < components.size(); i++) {
            String component = components.get(i);
            TreeNode child = current.child(component);
            if (child != null && child.isSymlink()) {
                TreeNode resolved = TreeWalker.resolve(root, String.join("/", components.subList(0, i + 1)), true);
                if (resolved != null && resolved.isDirectory()) {
                    current = resolved;
                    continue;
                }
            }
            if (child == null || !child.isDirectory()) {
                if (!create) {
                    return null;
                }
                TreeNode made = TreeNode.implicitDirectory();
                replace(current, component, child, made);
                child = made;
            }
            current = child;
        }
        return current;
    }

    /** One name of {@code node} is gone: a file loses a link, a directory its whole subtree. */
    private static void unlink(TreeNode node) {
        Deque<TreeNode> pending = new ArrayDeque<>();
        pending.push(node);
        while (!pending.isEmpty()) {
            TreeNode next = pending.pop();
            if (next.isDirectory()) {
                next.mutableChildren().values().forEach(pending::push);
            } else {
                next.addLink(-1);
            }
        }
    }
}
