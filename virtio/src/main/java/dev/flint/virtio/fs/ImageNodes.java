package dev.flint.virtio.fs;

import dev.flint.image.tree.TreeNode;
import dev.flint.vmm.sys.ErrnoException;

import java.util.Optional;

/**
 * Node ids to nodes and back for an image share. Nothing is counted: the trees never change and
 * are never unpublished, so every id handed out stays valid and FORGET has nothing to free.
 */
final class ImageNodes {
    private final PublishedTrees trees;

    ImageNodes(PublishedTrees trees) {
        this.trees = trees;
    }

    PublishedTrees trees() {
        return trees;
    }

    /** The node {@code nodeId} names; EBADF when it is not one this share handed out. */
    ImageNode get(String operation, long nodeId) throws ErrnoException {
        if (nodeId == ImageNode.ROOT_ID) {
            return ImageNode.root();
        }
        int index = (int) (nodeId >>> PublishedTrees.INDEX_SHIFT);
        Optional<PublishedTree> tree = index > 0 ? trees.byIndex(index) : Optional.empty();
        Optional<TreeNode> node = tree.flatMap(t -> t.tree().node(nodeId & PublishedTrees.INODE_MASK));
        if (node.isEmpty()) {
            throw new ErrnoException(operation + ": node " + nodeId + " is not one this share handed out",
                    FuseErrno.EBADF);
        }
        return ImageNode.of(tree.get(), node.get());
    }

    /** A directory node; ENOTDIR otherwise. */
    ImageNode directory(String operation, long nodeId) throws ErrnoException {
        ImageNode node = get(operation, nodeId);
        if (!node.isDirectory()) {
            throw new ErrnoException(operation + ": node " + nodeId + " is not a directory", FuseErrno.ENOTDIR);
        }
        return node;
    }

    /** The directory holding {@code directory}: the share's root for a tree's root and for the root itself. */
    ImageNode parent(ImageNode directory) {
        if (directory.isRoot()) {
            return directory;
        }
        long parent = directory.tree().parentOf(directory.node());
        return parent == 0 ? ImageNode.root()
                : ImageNode.of(directory.tree(), directory.tree().tree().node(parent).orElseThrow());
    }

    /** {@code name} in {@code directory} ("." and ".." included), or null when there is none. */
    ImageNode child(ImageNode directory, String name) {
        if (name.equals(".")) {
            return directory;
        }
        if (name.equals("..")) {
            return parent(directory);
        }
        if (directory.isRoot()) {
            return trees.byName(name).map(t -> ImageNode.of(t, t.tree().root())).orElse(null);
        }
        TreeNode child = directory.node().child(name);
        return child == null ? null : ImageNode.of(directory.tree(), child);
    }

    /** How long the guest may cache the name of an entry of {@code directory}: never for the root's. */
    static long entryValidSeconds(ImageNode directory, ImageNode entry) {
        return directory.isRoot() || entry.isRoot() ? ImageNode.ROOT_VALID_SECONDS : ImageNode.TREE_VALID_SECONDS;
    }
}
