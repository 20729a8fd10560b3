package dev.flint.image.tree;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Path resolution inside a tree, the way the guest kernel will resolve it: symlinks followed
 * relative to their own directory (absolute ones from the tree's root), ".." never above the
 * root, at most {@value #MAX_LINKS} links, as Linux's MAXSYMLINKS.
 */
final class TreeWalker {
    static final int MAX_LINKS = 40;

    private TreeWalker() {
    }

    /** The node at {@code path}, the last component followed only when {@code followLast}; null when there is none. */
    static TreeNode resolve(TreeNode root, String path, boolean followLast) {
        Deque<String> pending = new ArrayDeque<>();
        addFirst(pending, path);
        Deque<TreeNode> stack = new ArrayDeque<>();
        stack.push(root);
        int links = 0;
        while (!pending.isEmpty()) {
            String component = pending.pollFirst();
            if (component.equals("..")) {
                if (stack.size() > 1) {
                    stack.pop();
                }
                continue;
            }
            TreeNode current = stack.peek();
            TreeNode child = current.child(component);
            if (child == null) {
                return null;
            }
            boolean last = pending.isEmpty();
            if (child.isSymlink() && (!last || followLast)) {
                if (++links > MAX_LINKS) {
                    return null;
                }
                String target = child.symlinkTarget();
                if (target.startsWith("/")) {
                    while (stack.size() > 1) {
                        stack.pop();
                    }
                }
                addFirst(pending, target);
                continue;
            }
            if (!last && !child.isDirectory()) {
                return null;
            }
            stack.push(child);
        }
        return stack.peek();
    }

    /** Puts the meaningful components of {@code path} (not "" or ".") in front of {@code pending}, in order. */
    private static void addFirst(Deque<String> pending, String path) {
        String[] parts = path.split("/");
        for (int i = parts.length - 1; i >= 0; i--) {
            if (!parts[i].isEmpty() && !parts[i].equals(".")) {
                pending.addFirst(parts[i]);
            }
        }
    }
}
