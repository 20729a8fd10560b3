package dev.flint.virtio.fs;

import dev.flint.vmm.sys.ErrnoException;
import dev.flint.vmm.sys.LibcFs;
import dev.flint.vmm.sys.Stat;

import java.nio.ByteBuffer;

/**
 * Requests that add, remove or move names: MKNOD (regular files only), MKDIR, SYMLINK, LINK,
 * UNLINK, RMDIR, RENAME and RENAME2. Every one is an {@code *at} call relative to the parent
 * node's fd with a checked single-component name, so a directory swapped for a symlink on the
 * host after the guest looked it up still means the directory the guest looked up.
 */
final class NamespaceOperations {
    static final int RENAME_FLAGS = LibcFs.RENAME_NOREPLACE | LibcFs.RENAME_EXCHANGE;

    private final HostTree tree;

    NamespaceOperations(HostTree tree) {
        this.tree = tree;
    }

    /** MKNOD: {@code fuse_mknod_in { mode, rdev, umask, padding }} then the name; only regular files are made. */
    void mknod(FuseRequest request, FuseReply reply) throws ErrnoException {
        int mode = request.struct("fuse_mknod_in", 16).getInt(0);
        String name = request.string("name");
        Inode parent = tree.directory("FUSE_MKNOD", request.header().nodeId());
        tree.requireWritable("FUSE_MKNOD");
        HostTree.checkName("FUSE_MKNOD", name);
        tree.inodes().requireRoom("FUSE_MKNOD"); // before the file exists: the guest must get its node
        int type = mode & Stat.S_IFMT;
        if (type != 0 && type != Stat.S_IFREG) {
            throw new ErrnoException("FUSE_MKNOD of '" + name + "' with type 0" + Integer.toOctalString(type)
                    + ": only regular files may be created", FuseErrno.EPERM);
        }
        ErrnoException.check("mknodat(node " + parent.nodeId() + ", " + name + ")",
                LibcFs.mknodat(parent.pathFd(), name, Stat.S_IFREG | (mode & 07777), 0));
        replyCreated(reply, "FUSE_MKNOD", tree.lookup(parent, name), mode);
    }

    /** MKDIR: {@code fuse_mkdir_in { mode, umask }} then the name. */
    void mkdir(FuseRequest request, FuseReply reply) throws ErrnoException {
        int mode = request.struct("fuse_mkdir_in", 8).getInt(0);
        String name = request.string("name");
        Inode parent = tree.directory("FUSE_MKDIR", request.header().nodeId());
        tree.requireWritable("FUSE_MKDIR");
        HostTree.checkName("FUSE_MKDIR", name);
        tree.inodes().requireRoom("FUSE_MKDIR");
        ErrnoException.check("mkdirat(node " + parent.nodeId() + ", " + name + ")",
                LibcFs.mkdirat(parent.pathFd(), name, mode & 07777));
        replyCreated(reply, "FUSE_MKDIR", tree.lookup(parent, name), mode);
    }

    private void replyCreated(FuseReply reply, String operation, HostTree.Entry entry, int mode) throws ErrnoException {
        HostAttributes attributes = tree.applyMode(entry, mode);
        reply.payload(operation, FuseEncoding.entryOut(entry.inode().nodeId(), attributes));
    }

    /** SYMLINK: the new name, then the link's text (stored as given, never resolved on the host). */
    void symlink(FuseRequest request, FuseReply reply) throws ErrnoException {
        String name = request.string("name");
        String target = request.string("link target");
        Inode parent = tree.directory("FUSE_SYMLINK", request.header().nodeId());
        tree.requireWritable("FUSE_SYMLINK");
        HostTree.checkName("FUSE_SYMLINK", name);
        tree.inodes().requireRoom("FUSE_SYMLINK");
        ErrnoException.check("symlinkat(node " + parent.nodeId() + ", " + name + ")",
                LibcFs.symlinkat(target, parent.pathFd(), name));
        reply.payload("FUSE_SYMLINK", tree.lookup(parent, name).encode());
    }

    /**
     * LINK: {@code fuse_link_in { u64 oldnodeid; }} then the new name. The existing node is linked
     * through /proc/self/fd (its exact inode; AT_EMPTY_PATH would need CAP_DAC_READ_SEARCH).
     */
    void link(FuseRequest request, FuseReply reply) throws ErrnoException {
        long oldNodeId = request.struct("fuse_link_in", 8).getLong(0);
        String name = request.string("name");
        Inode parent = tree.directory("FUSE_LINK", request.header().nodeId());
        tree.requireWritable("FUSE_LINK");
        HostTree.checkName("FUSE_LINK", name);
        Inode existing = tree.inodes().get(oldNodeId);
        if (existing.type() == Stat.S_IFDIR) {
            throw new ErrnoException("FUSE_LINK of directory node " + oldNodeId, FuseErrno.EPERM);
        }
        ErrnoException.check("linkat(node " + oldNodeId + " -> node " + parent.nodeId() + ", " + name + ")",
                LibcFs.linkat(tree.procSelfFd(), tree.procName(existing), parent.pathFd(), name,
                        LibcFs.AT_SYMLINK_FOLLOW));
        HostAttributes attributes = HostTree.stat(existing.pathFd());
        existing.addLookups(1);
        reply.payload("FUSE_LINK", FuseEncoding.entryOut(existing.nodeId(), attributes));
    }

    /** UNLINK: the name of a non-directory in the parent. */
    void unlink(FuseRequest request) throws ErrnoException {
        remove(request, "FUSE_UNLINK", 0);
    }

    /** RMDIR: the name of an empty directory in the parent. */
    void rmdir(FuseRequest request) throws ErrnoException {
        remove(request, "FUSE_RMDIR", LibcFs.AT_REMOVEDIR);
    }

    private void remove(FuseRequest request, String operation, int flags) throws ErrnoException {
        String name = request.string("name");
        Inode parent = tree.directory(operation, request.header().nodeId());
        tree.requireWritable(operation);
        HostTree.checkName(operation, name);
        ErrnoException.check("unlinkat(node " + parent.nodeId() + ", " + name + ")",
                LibcFs.unlinkat(parent.pathFd(), name, flags));
    }

    /** RENAME: {@code fuse_rename_in { u64 newdir; }} then the old and new names. */
    void rename(FuseRequest request) throws ErrnoException {
        long newDir = request.struct("fuse_rename_in", 8).getLong(0);
        move(request, "FUSE_RENAME", newDir, 0);
    }

    /** RENAME2: {@code fuse_rename2_in { u64 newdir; u32 flags; u32 padding; }}; NOREPLACE and EXCHANGE only. */
    void rename2(FuseRequest request) throws ErrnoException {
        ByteBuffer in = request.struct("fuse_rename2_in", 16);
        int flags = in.getInt(8);
        if ((flags & ~RENAME_FLAGS) != 0 || flags == RENAME_FLAGS) {
            throw new ErrnoException("FUSE_RENAME2 with flags 0x" + Integer.toHexString(flags)
                    + " (only RENAME_NOREPLACE or RENAME_EXCHANGE)", FuseErrno.EINVAL);
        }
        move(request, "FUSE_RENAME2", in.getLong(0), flags);
    }

    private void move(FuseRequest request, String operation, long newDirId, int flags) throws ErrnoException {
        String oldName = request.string("old name");
        String newName = request.string("new name");
        Inode oldDir = tree.directory(operation, request.header().nodeId());
        Inode newDir = tree.directory(operation, newDirId);
        tree.requireWritable(operation);
        HostTree.checkName(operation, oldName);
        HostTree.checkName(operation, newName);
        ErrnoException.check("renameat2(node " + oldDir.nodeId() + ", " + oldName + " -> node " + newDir.nodeId()
                + ", " + newName + ")", LibcFs.renameat2(oldDir.pathFd(), oldName, newDir.pathFd(), newName, flags));
    }
}
