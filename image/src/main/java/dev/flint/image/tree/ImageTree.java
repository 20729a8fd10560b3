package dev.flint.image.tree;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * An image's whole file tree, flattened from its layer tars in memory: metadata only, file
 * bytes staying in the tars. This is what the guest sees under {@code /.flint/images/<name>}.
 * Immutable once built, so it may be shared between threads and VMs.
 */
public final class ImageTree {
    /** Largest file {@link #readFile} returns: it is meant for /etc/passwd-sized files. */
    public static final int MAX_READ_FILE = 64 << 20;

    private final TreeNode root;
    private final List<TreeNode> byInode;
    private final long fileBytes;

    private ImageTree(TreeNode root) {
        this.root = root;
        List<TreeNode> nodes = new ArrayList<>();
        nodes.add(null); // inode 0 is no node
        Set<TreeNode> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Map<TreeNode, Integer> links = new IdentityHashMap<>();
        Deque<TreeNode> pending = new ArrayDeque<>();
        pending.push(root);
        long bytes = 0;
        while (!pending.isEmpty()) {
            TreeNode node = pending.pop();
            if (!seen.add(node)) {
                continue; // a hard link: one inode, numbered where it was first met
            }
            nodes.add(node);
            int nlink = node.nlink();
            if (node.isDirectory()) {
                List<TreeNode> children = new ArrayList<>(node.children().values());
                nlink = 2 + (int) children.stream().filter(TreeNode::isDirectory).count();
                for (int i = children.size() - 1; i >= 0; i--) {
                    pending.push(children.get(i));
                }
            } else if (node.isRegularFile()) {
                bytes += node.size();
            }
            links.put(node, nlink);
        }
        for (int inode = 1; inode < nodes.size(); inode++) {
            TreeNode node = nodes.get(inode);
            node.freeze(inode, links.get(node));
        }
        this.byInode = List.copyOf(nodes.subList(1, nodes.size()));
        this.fileBytes = bytes;
    }

    /**
     * Applies {@code layerTars} (uncompressed, bottom layer first) one over another with the
     * OCI whiteout rules. Fails with {@link InvalidLayerException} when a layer cannot be read.
     */
    public static ImageTree flatten(List<Path> layerTars) {
        LayerApplier applier = new LayerApplier();
        for (Path tar : layerTars) {
            applier.apply(LayerIndex.scan(tar));
        }
        return new ImageTree(applier.root());
    }

    /** The root directory; its inode is 1. */
    public TreeNode root() {
        return root;
    }

    /** Nodes in the tree, each hard-linked file counted once. */
    public int nodeCount() {
        return byInode.size();
    }

    /** The bytes of all regular files, each hard-linked file counted once. */
    public long fileBytes() {
        return fileBytes;
    }

    /** The node numbered {@code inode}. */
    public Optional<TreeNode> node(long inode) {
        return inode >= 1 && inode <= byInode.size() ? Optional.of(byInode.get((int) (inode - 1))) : Optional.empty();
    }

    /**
     * The node at {@code path} ("/etc/passwd" or "etc/passwd"), as {@code lstat} finds it: symlinks
     * in the directories on the way are followed inside the tree, the last component is not.
     */
    public Optional<TreeNode> lookup(String path) {
        return Optional.ofNullable(TreeWalker.resolve(root, path, false));
    }

    /**
     * The contents of the regular file at {@code path}, symlinks followed inside the tree (as
     * {@code open} would in the guest); empty when there is no such file.
     */
    public Optional<byte[]> readFile(String path) {
        TreeNode node = TreeWalker.resolve(root, path, true);
        if (node == null || !node.isRegularFile()) {
            return Optional.empty();
        }
        if (node.size() > MAX_READ_FILE) {
            throw new InvalidLayerException("image file " + path + " is " + node.size() + " bytes, more than the "
                    + MAX_READ_FILE + " Flint reads from an image on the host");
        }
        byte[] data = new byte[(int) node.size()];
        try (FileChannel channel = FileChannel.open(node.dataTar(), StandardOpenOption.READ)) {
            ByteBuffer buffer = ByteBuffer.wrap(data);
            while (buffer.hasRemaining()) {
                if (channel.read(buffer, node.dataOffset() + buffer.position()) < 0) {
                    throw new InvalidLayerException("layer " + node.dataTar() + " ends inside image file " + path
                            + "; the layer is truncated, pull it again");
                }
            }
        } catch (IOException e) {
            throw new InvalidLayerException("cannot read image file " + path + " from layer " + node.dataTar() + ": "
                    + e.getMessage(), e);
        }
        return Optional.of(data);
    }
}
