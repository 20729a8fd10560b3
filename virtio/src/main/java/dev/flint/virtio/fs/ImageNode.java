package dev.flint.virtio.fs;

import dev.flint.image.tree.TreeNode;

/**
 * A node id the guest holds, resolved: the share's synthetic root ({@code tree} and
 * {@code node} null), or one node of one published tree.
 */
record ImageNode(long nodeId, PublishedTree tree, TreeNode node) {
    static final long ROOT_ID = 1;
    /** How long the guest may cache names and attributes inside a tree: long, the trees never change. */
    static final long TREE_VALID_SECONDS = 24 * 60 * 60;
    /** The root's names come and go as trees are published: never cached. */
    static final long ROOT_VALID_SECONDS = 0;
    static final int ROOT_MODE = TreeNode.S_IFDIR | 0555;
    static final long BLOCK_SIZE = 4096;

    static ImageNode root() {
        return new ImageNode(ROOT_ID, null, null);
    }

    static ImageNode of(PublishedTree tree, TreeNode node) {
        return new ImageNode(PublishedTrees.nodeId(tree, node.inode()), tree, node);
    }

    boolean isRoot() {
        return node == null;
    }

    boolean isDirectory() {
        return isRoot() || node.isDirectory();
    }

    int mode() {
        return isRoot() ? ROOT_MODE : node.mode();
    }

    /** What stat shows in the guest: the image's own owner, mode, device number, size and mtime; the node id as st_ino. */
    HostAttributes attributes(PublishedTrees trees) {
        if (isRoot()) {
            long mtime = trees.changedSeconds();
            return new HostAttributes(0, ROOT_ID, ROOT_MODE, 2 + trees.size(), 0, 0, 0, BLOCK_SIZE, BLOCK_SIZE,
                    BLOCK_SIZE / 512, mtime, 0, mtime, 0, mtime, 0);
        }
        long mtime = node.mtimeSeconds();
        return new HostAttributes(0, nodeId, node.mode(), node.nlink(), node.uid(), node.gid(),
                Integer.toUnsignedLong(node.rdev()), node.size(), BLOCK_SIZE, (node.size() + 511) / 512,
                mtime, 0, mtime, 0, mtime, 0);
    }

    /** How long the guest may cache this node's attributes. */
    long validSeconds() {
        return isRoot() ? ROOT_VALID_SECONDS : TREE_VALID_SECONDS;
    }

    /** The DT_* type a directory listing shows for it (S_IFMT >> 12). */
    int direntType() {
        return (mode() & TreeNode.S_IFMT) >>> 12;
    }
}
