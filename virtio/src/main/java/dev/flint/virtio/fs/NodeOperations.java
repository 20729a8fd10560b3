package dev.flint.virtio.fs;

import dev.flint.vmm.sys.ErrnoException;
import dev.flint.vmm.sys.Libc;
import dev.flint.vmm.sys.LibcFs;
import dev.flint.vmm.sys.Stat;
import dev.flint.vmm.sys.StatFs;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * Requests about one node: LOOKUP, FORGET, BATCH_FORGET, GETATTR, SETATTR, READLINK, ACCESS and
 * STATFS. Each works on the node's {@code O_PATH} fd, never on a path.
 */
final class NodeOperations {
    static final int FATTR_MODE = 1;
    static final int FATTR_UID = 1 << 1;
    static final int FATTR_GID = 1 << 2;
    static final int FATTR_SIZE = 1 << 3;
    static final int FATTR_ATIME = 1 << 4;
    static final int FATTR_MTIME = 1 << 5;
    static final int FATTR_FH = 1 << 6;
    static final int FATTR_ATIME_NOW = 1 << 7;
    static final int FATTR_MTIME_NOW = 1 << 8;
    static final int SETATTR_IN_BYTES = 88;
    static final int MAX_SYMLINK = 4096;

    private final HostTree tree;

    NodeOperations(HostTree tree) {
        this.tree = tree;
    }

    /** LOOKUP: name in the parent node. ".." of the root is the root itself, so the guest cannot climb out. */
    void lookup(FuseRequest request, FuseReply reply) throws ErrnoException {
        String name = request.string("name");
        Inode parent = tree.directory("FUSE_LOOKUP", request.header().nodeId());
        if (name.equals("..") && parent == tree.inodes().root()) {
            Inode root = tree.inodes().root();
            root.addLookups(1);
            reply.payload("FUSE_LOOKUP", FuseEncoding.entryOut(root.nodeId(), HostTree.stat(root.pathFd())));
            return;
        }
        HostTree.Entry entry = tree.lookup(parent, HostTree.checkName("FUSE_LOOKUP", name));
        reply.payload("FUSE_LOOKUP", entry.encode());
    }

    /** FORGET: {@code struct fuse_forget_in { u64 nlookup; }}; no reply. */
    void forget(FuseRequest request) throws ErrnoException {
        long count = request.struct("fuse_forget_in", 8).getLong(0);
        tree.inodes().forget(request.header().nodeId(), count);
    }

    /** BATCH_FORGET: {@code count}, then that many {@code {nodeid, nlookup}} pairs; no reply. */
    void batchForget(FuseRequest request) throws ErrnoException {
        int count = request.struct("fuse_batch_forget_in", 8).getInt(0);
        for (int i = 0; i < count; i++) {
            ByteBuffer one = request.struct("fuse_forget_one " + i + " of " + count, 16);
            tree.inodes().forget(one.getLong(0), one.getLong(8));
        }
    }

    /** GETATTR: {@code fuse_getattr_in} (the optional fh adds nothing: the node's fd is the same file). */
    void getattr(FuseRequest request, FuseReply reply) throws ErrnoException {
        request.skip("fuse_getattr_in", 16);
        Inode inode = tree.inodes().get(request.header().nodeId());
        reply.payload("FUSE_GETATTR", FuseEncoding.attrOut(HostTree.stat(inode.pathFd())));
    }

    /**
     * SETATTR: mode, owner, size and times, each applied through the node's fd or its open handle.
     * {@code fuse_setattr_in}: valid@0, fh@8, size@16, atime@32, mtime@40, atimensec@56,
     * mtimensec@60, mode@68, uid@76, gid@80 (88 bytes).
     */
    void setattr(FuseRequest request, FuseReply reply) throws ErrnoException {
        ByteBuffer in = request.struct("fuse_setattr_in", SETATTR_IN_BYTES);
        Inode inode = tree.inodes().get(request.header().nodeId());
        tree.requireWritable("FUSE_SETATTR");
        int valid = in.getInt(0);
        long fh = in.getLong(8);
        int fd = inode.pathFd();
        String node = "node " + inode.nodeId();
        if ((valid & FATTR_MODE) != 0) {
            if (inode.type() == Stat.S_IFLNK) {
                throw new ErrnoException("FUSE_SETATTR: chmod of symlink " + node, FuseErrno.EOPNOTSUPP);
            }
            ErrnoException.check("fchmodat(" + node + ")",
                    LibcFs.fchmodat(tree.procSelfFd(), tree.procName(inode), in.getInt(68) & 07777));
        }
        if ((valid & (FATTR_UID | FATTR_GID)) != 0) {
            int uid = (valid & FATTR_UID) != 0 ? in.getInt(76) : -1;
            int gid = (valid & FATTR_GID) != 0 ? in.getInt(80) : -1;
            ErrnoException.check("fchownat(" + node + ")", LibcFs.fchownat(fd, "", uid, gid,
                    LibcFs.AT_EMPTY_PATH | LibcFs.AT_SYMLINK_NOFOLLOW));
        }
        if ((valid & FATTR_SIZE) != 0) {
            truncate(inode, (valid & FATTR_FH) != 0 ? fh : -1, in.getLong(16));
        }
        if ((valid & (FATTR_ATIME | FATTR_MTIME | FATTR_ATIME_NOW | FATTR_MTIME_NOW)) != 0) {
            long atimeNanos = (valid & FATTR_ATIME_NOW) != 0 ? LibcFs.UTIME_NOW
                    : (valid & FATTR_ATIME) != 0 ? Integer.toUnsignedLong(in.getInt(56)) : LibcFs.UTIME_OMIT;
            long mtimeNanos = (valid & FATTR_MTIME_NOW) != 0 ? LibcFs.UTIME_NOW
                    : (valid & FATTR_MTIME) != 0 ? Integer.toUnsignedLong(in.getInt(60)) : LibcFs.UTIME_OMIT;
            ErrnoException.check("utimensat(" + node + ")", LibcFs.utimensat(fd, "", in.getLong(32), atimeNanos,
                    in.getLong(40), mtimeNanos, LibcFs.AT_EMPTY_PATH));
        }
        reply.payload("FUSE_SETATTR", FuseEncoding.attrOut(HostTree.stat(fd)));
    }

    private void truncate(Inode inode, long fh, long size) throws ErrnoException {
        if (inode.type() != Stat.S_IFREG) {
            throw new ErrnoException("FUSE_SETATTR: truncate of node " + inode.nodeId() + ", which is not a regular file",
                    inode.type() == Stat.S_IFDIR ? FuseErrno.EISDIR : FuseErrno.EINVAL);
        }
        if (fh >= 0) {
            OpenHandle handle = tree.handles().get(fh, false);
            ErrnoException.check("ftruncate(handle " + fh + ")", LibcFs.ftruncate(handle.fd(), size));
            return;
        }
        int fd = tree.reopen("FUSE_SETATTR", inode, LibcFs.O_WRONLY);
        try {
            ErrnoException.check("ftruncate(node " + inode.nodeId() + ")", LibcFs.ftruncate(fd, size));
        } finally {
            Libc.close(fd);
        }
    }

    /** READLINK: the link's text, as stored; the guest kernel resolves it inside its own mount. */
    void readlink(FuseRequest request, FuseReply reply) throws ErrnoException {
        Inode inode = tree.inodes().get(request.header().nodeId());
        if (inode.type() != Stat.S_IFLNK) {
            throw new ErrnoException("FUSE_READLINK: node " + inode.nodeId() + " is not a symlink", FuseErrno.EINVAL);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(MAX_SYMLINK);
            long length = ErrnoException.check("readlinkat(node " + inode.nodeId() + ")",
                    LibcFs.readlinkat(inode.pathFd(), "", buffer));
            reply.payload("FUSE_READLINK", buffer.asSlice(0, length).toArray(JAVA_BYTE));
        }
    }

    /** ACCESS: {@code fuse_access_in { u32 mask; }}, checked as this process sees the file. */
    void access(FuseRequest request) throws ErrnoException {
        int mask = request.struct("fuse_access_in", 8).getInt(0);
        Inode inode = tree.inodes().get(request.header().nodeId());
        if ((mask & LibcFs.W_OK) != 0) {
            tree.requireWritable("FUSE_ACCESS for writing");
        }
        if (mask == LibcFs.F_OK || inode.type() == Stat.S_IFLNK) {
            return;
        }
        ErrnoException.check("faccessat(node " + inode.nodeId() + ")",
                LibcFs.faccessat(tree.procSelfFd(), tree.procName(inode), mask));
    }

    /** STATFS: the host file system's numbers, through the node's fd. */
    void statfs(FuseRequest request, FuseReply reply) throws ErrnoException {
        Inode inode = tree.inodes().get(request.header().nodeId());
        try (Arena arena = Arena.ofConfined()) {
            StatFs statfs = StatFs.allocate(arena);
            ErrnoException.check("fstatfs(node " + inode.nodeId() + ")", LibcFs.fstatfs(inode.pathFd(), statfs.segment()));
            reply.payload("FUSE_STATFS", FuseEncoding.statfsOut(statfs.blocks(), statfs.freeBlocks(),
                    statfs.availableBlocks(), statfs.files(), statfs.freeFiles(), (int) statfs.blockSize(),
                    (int) statfs.nameLength(), (int) statfs.fragmentSize()));
        }
    }
}
