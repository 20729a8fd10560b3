package dev.flint.image.tree;

import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * One inode of an {@link ImageTree}: what {@code stat} shows for it in the guest, exactly as the
 * layer tars said (owners, setuid bits and device numbers included, though the host never
 * created such a file), and where a regular file's bytes lie in its layer tar. Hard links are
 * one node reachable under several names. Built by {@link ImageTree#flatten} and never changed
 * afterwards.
 */
public final class TreeNode {
    public static final int S_IFMT = 0170000;
    public static final int S_IFDIR = 0040000;
    public static final int S_IFREG = 0100000;
    public static final int S_IFLNK = 0120000;
    /** What directories report as their size, as ext4 does for small ones. */
    static final long DIRECTORY_SIZE = 4096;

    private int mode;
    private int uid;
    private int gid;
    private long mtimeSeconds;
    private long size;
    private int rdev;
    private String symlinkTarget = "";
    private Map<String, byte[]> xattrs = Map.of();
    private int nlink = 1;
    private long inode;
    private Path dataTar;
    private long dataOffset;
    private final TreeMap<String, TreeNode> children;

    private TreeNode(int mode) {
        this.mode = mode;
        this.children = (mode & S_IFMT) == S_IFDIR ? new TreeMap<>() : null;
        this.size = children != null ? DIRECTORY_SIZE : 0;
    }

    /** A directory no layer described but a deeper path needs: 0755 root:root, mtime 0. */
    static TreeNode implicitDirectory() {
        return new TreeNode(S_IFDIR | 0755);
    }

    /** The node {@code entry} (any type but a hard link) makes; files read their data from {@code tar}. */
    static TreeNode of(TarEntry entry, Path tar) {
        TreeNode node = new TreeNode(entry.type().formatBits() | entry.permissions());
        node.setMetadata(entry);
        switch (entry.type()) {
            case FILE -> {
                node.size = entry.size();
                node.dataTar = tar;
                node.dataOffset = entry.dataOffset();
            }
            case SYMLINK -> {
                node.symlinkTarget = entry.linkTarget();
                node.size = entry.linkTarget().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            }
            case CHAR_DEVICE, BLOCK_DEVICE -> node.rdev = encodeDevice(entry.deviceMajor(), entry.deviceMinor());
            default -> {
            }
        }
        return node;
    }

    /** Takes the owner, permissions, mtime and xattrs of {@code entry} (a directory entry over an existing directory). */
    void setMetadata(TarEntry entry) {
        mode = (mode & S_IFMT) | entry.permissions();
        uid = id(entry.uid(), "uid", entry);
        gid = id(entry.gid(), "gid", entry);
        mtimeSeconds = entry.mtimeSeconds();
        xattrs = entry.xattrs();
    }

    private static int id(long value, String what, TarEntry entry) {
        if (value < 0 || value > 0xffff_ffffL) {
            throw new InvalidLayerException("tar member '" + entry.path() + "' has " + what + " " + value
                    + ", which does not fit 32 bits; the layer is corrupt");
        }
        return (int) value;
    }

    /** Linux's {@code new_encode_dev}, the form FUSE's {@code fuse_attr.rdev} carries. */
    public static int encodeDevice(int major, int minor) {
        return (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12);
    }

    /** The full st_mode: S_IFMT type bits and the permission bits, setuid, setgid and sticky included. */
    public int mode() {
        return mode;
    }

    /** The S_IFMT bits of {@link #mode}. */
    public int type() {
        return mode & S_IFMT;
    }

    public boolean isDirectory() {
        return type() == S_IFDIR;
    }

    public boolean isRegularFile() {
        return type() == S_IFREG;
    }

    public boolean isSymlink() {
        return type() == S_IFLNK;
    }

    /** The owner's uid, an unsigned 32-bit value. */
    public int uid() {
        return uid;
    }

    /** The group's gid, an unsigned 32-bit value. */
    public int gid() {
        return gid;
    }

    public long mtimeSeconds() {
        return mtimeSeconds;
    }

    /** Data length for files, the target's length for symlinks, {@value #DIRECTORY_SIZE} for directories, else 0. */
    public long size() {
        return size;
    }

    /** Device number in the {@link #encodeDevice} form; 0 unless a character or block device. */
    public int rdev() {
        return rdev;
    }

    /** The symlink's text as stored; "" for other types. */
    public String symlinkTarget() {
        return symlinkTarget;
    }

    /** Extended attributes (name to raw value). The arrays are the tree's own: read them, do not change them. */
    public Map<String, byte[]> xattrs() {
        return xattrs;
    }

    /** Names this node has in the tree (files); 2 plus the subdirectories (directories). */
    public int nlink() {
        return nlink;
    }

    /** A number unique within the tree, the root's being 1. */
    public long inode() {
        return inode;
    }

    /** The layer tar holding a regular file's bytes; null for other types. */
    public Path dataTar() {
        return dataTar;
    }

    /** Where a regular file's bytes start in {@link #dataTar}. */
    public long dataOffset() {
        return dataOffset;
    }

    /** A directory's entries, sorted by name; empty for other types. */
    public Map<String, TreeNode> children() {
        return children == null ? Map.of() : Collections.unmodifiableMap(children);
    }

    /** A directory's entry {@code name}, or null. */
    public TreeNode child(String name) {
        return children == null ? null : children.get(name);
    }

    TreeMap<String, TreeNode> mutableChildren() {
        return children;
    }

    void addLink(int delta) {
        nlink += delta;
    }

    void freeze(long inode, int nlink) {
        this.inode = inode;
        this.nlink = nlink;
    }

    @Override
    public String toString() {
        return "TreeNode[inode " + inode + ", mode 0" + Integer.toOctalString(mode) + ", " + uid + ":" + gid + "]";
    }
}
