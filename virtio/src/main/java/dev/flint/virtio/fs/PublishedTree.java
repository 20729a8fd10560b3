package dev.flint.virtio.fs;

import dev.flint.image.tree.ImageTree;
import dev.flint.image.tree.TreeNode;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * One image tree published under a name, with the number that puts its node ids apart from
 * every other tree's, and each directory's parent (for LOOKUP of "..").
 */
final class PublishedTree {
    private final int index;
    private final String name;
    private final ImageTree tree;
    private final long[] parents;

    PublishedTree(int index, String name, ImageTree tree) {
        this.index = index;
        this.name = name;
        this.tree = tree;
        this.parents = new long[tree.nodeCount() + 1];
        Deque<TreeNode> pending = new ArrayDeque<>();
        pending.push(tree.root());
        while (!pending.isEmpty()) {
            TreeNode directory = pending.pop();
            for (TreeNode child : directory.children().values()) {
                if (child.isDirectory()) {
                    parents[(int) child.inode()] = directory.inode();
                    pending.push(child);
                }
            }
        }
    }

    int index() {
        return index;
    }

    String name() {
        return name;
    }

    ImageTree tree() {
        return tree;
    }

    /** The inode of {@code directory}'s parent; 0 for the tree's root, whose parent is the share's root. */
    long parentOf(TreeNode directory) {
        return parents[(int) directory.inode()];
    }
}
