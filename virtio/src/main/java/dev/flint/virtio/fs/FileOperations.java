package dev.flint.virtio.fs;

import dev.flint.vmm.sys.ErrnoException;
import dev.flint.vmm.sys.Libc;
import dev.flint.vmm.sys.LibcFs;
import dev.flint.vmm.sys.Stat;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Requests on open regular files: OPEN, CREATE, READ, WRITE, FLUSH, RELEASE, FSYNC and LSEEK.
 * READ and WRITE move data between the host file and the guest's buffers with
 * {@code pread}/{@code pwrite} straight on guest memory, with no copy in between.
 */
final class FileOperations {
    static final int READ_IN_BYTES = 40;
    static final int WRITE_IN_BYTES = 40;
    static final int FSYNC_DATASYNC = 1;

    private final HostTree tree;

    FileOperations(HostTree tree) {
        this.tree = tree;
    }

    /** OPEN: {@code fuse_open_in { u32 flags; u32 open_flags; }}; regular files only, reopened from the node's fd. */
    void open(FuseRequest request, FuseReply reply) throws ErrnoException {
        int flags = request.struct("fuse_open_in", 8).getInt(0);
        Inode inode = tree.inodes().get(request.header().nodeId());
        if (inode.type() == Stat.S_IFDIR) {
            throw new ErrnoException("FUSE_OPEN of directory node " + inode.nodeId() + " (OPENDIR opens directories)",
                    FuseErrno.EISDIR);
        }
        int fd = tree.reopen("FUSE_OPEN", inode, flags & ~LibcFs.O_DIRECTORY);
        OpenHandle handle = tree.handles().add("FUSE_OPEN", fd, inode.nodeId(), false, flags);
        reply.payload("FUSE_OPEN", FuseEncoding.openOut(handle.id(), 0));
    }

    /**
     * CREATE: {@code fuse_create_in { flags, mode, umask, open_flags }} then the name. Opens with
     * O_CREAT|O_NOFOLLOW relative to the parent's fd, so an existing symlink of that name is
     * refused (ELOOP) rather than followed. Replies {@code fuse_entry_out} then {@code fuse_open_out}.
     */
    void create(FuseRequest request, FuseReply reply) throws ErrnoException {
        ByteBuffer in = request.struct("fuse_create_in", 16);
        int flags = in.getInt(0);
        int mode = in.getInt(4);
        String name = request.string("name");
        Inode parent = tree.directory("FUSE_CREATE", request.header().nodeId());
        tree.requireWritable("FUSE_CREATE");
        HostTree.checkName("FUSE_CREATE", name);
        // Room first: once the file exists the guest must get its node and handle.
        tree.inodes().requireRoom("FUSE_CREATE");
        tree.handles().requireRoom("FUSE_CREATE");
        int fd = ErrnoException.check("openat(node " + parent.nodeId() + ", " + name + ", O_CREAT|O_NOFOLLOW)",
                LibcFs.openat(parent.pathFd(), name, HostTree.createFlags(flags), mode & 07777));
        HostTree.Entry entry;
        HostAttributes attributes;
        try {
            entry = tree.entryOfOpenFile(fd);
        } catch (ErrnoException e) {
            Libc.close(fd);
            throw e;
        }
        try {
            attributes = tree.applyMode(entry, mode);
        } catch (ErrnoException e) {
            // The file exists and the guest will hear of it only through this reply: keep the node, report the file.
            attributes = entry.attributes();
        }
        OpenHandle handle = tree.handles().add("FUSE_CREATE", fd, entry.inode().nodeId(), false, flags);
        reply.payload("FUSE_CREATE", FuseEncoding.entryOut(entry.inode().nodeId(), attributes),
                FuseEncoding.openOut(handle.id(), 0));
    }

    /** READ: {@code fuse_read_in { fh, offset, size, ... }}; the file's bytes land directly in the guest's buffers. */
    void read(FuseRequest request, FuseReply reply) throws ErrnoException {
        ByteBuffer in = request.struct("fuse_read_in", READ_IN_BYTES);
        OpenHandle handle = tree.handles().get(in.getLong(0), false);
        long offset = in.getLong(8);
        long size = Integer.toUnsignedLong(in.getInt(16));
        if (offset < 0) {
            throw new ErrnoException("FUSE_READ at negative offset " + offset, FuseErrno.EINVAL);
        }
        long done = 0;
        for (MemorySegment view : reply.payloadViews(size)) {
            long filled = fill(handle, view, offset + done);
            done += filled;
            if (filled < view.byteSize()) {
                break;
            }
        }
        reply.filled(done);
    }

    /** Reads into all of {@code view} unless the file ends first; returns the bytes read. */
    private static long fill(OpenHandle handle, MemorySegment view, long position) throws ErrnoException {
        long done = 0;
        while (done < view.byteSize()) {
            long n = ErrnoException.check("pread(handle " + handle.id() + ")",
                    LibcFs.pread(handle.fd(), view.asSlice(done), position + done));
            if (n == 0) {
                break;
            }
            done += n;
        }
        return done;
    }

    /** WRITE: {@code fuse_write_in { fh, offset, size, ... }} then the data, written straight from guest memory. */
    void write(FuseRequest request, FuseReply reply) throws ErrnoException {
        ByteBuffer in = request.struct("fuse_write_in", WRITE_IN_BYTES);
        tree.requireWritable("FUSE_WRITE");
        OpenHandle handle = tree.handles().get(in.getLong(0), false);
        long offset = in.getLong(8);
        long size = Integer.toUnsignedLong(in.getInt(16));
        if (offset < 0) {
            throw new ErrnoException("FUSE_WRITE at negative offset " + offset, FuseErrno.EINVAL);
        }
        List<MemorySegment> data = request.bulk("write data", size);
        long done = 0;
        for (MemorySegment view : data) {
            for (long at = 0; at < view.byteSize(); ) {
                // O_APPEND handles ignore the offset on Linux; pwrite still writes the bytes at the end.
                long n = ErrnoException.check("pwrite(handle " + handle.id() + ")",
                        LibcFs.pwrite(handle.fd(), view.asSlice(at), offset + done));
                if (n == 0) {
                    throw new ErrnoException("pwrite(handle " + handle.id() + ") wrote nothing", FuseErrno.EIO);
                }
                at += n;
                done += n;
            }
        }
        reply.payload("FUSE_WRITE", FuseEncoding.writeOut((int) done));
    }

    /** FLUSH: {@code fuse_flush_in { fh, ... }}; nothing is buffered here, so it only checks the handle. */
    void flush(FuseRequest request) throws ErrnoException {
        tree.handles().get(request.struct("fuse_flush_in", 24).getLong(0), false);
    }

    /** RELEASE: {@code fuse_release_in { fh, flags, release_flags, lock_owner }}; closes the host fd. */
    void release(FuseRequest request) throws ErrnoException {
        tree.handles().release(request.struct("fuse_release_in", 24).getLong(0), false);
    }

    /** FSYNC: {@code fuse_fsync_in { fh, fsync_flags }}; bit 0 asks for data only. */
    void fsync(FuseRequest request) throws ErrnoException {
        sync(tree, request, false);
    }

    static void sync(HostTree tree, FuseRequest request, boolean directory) throws ErrnoException {
        ByteBuffer in = request.struct("fuse_fsync_in", 16);
        OpenHandle handle = tree.handles().get(in.getLong(0), directory);
        boolean dataOnly = (in.getInt(8) & FSYNC_DATASYNC) != 0;
        ErrnoException.check((dataOnly ? "fdatasync" : "fsync") + "(handle " + handle.id() + ")",
                dataOnly ? LibcFs.fdatasync(handle.fd()) : LibcFs.fsync(handle.fd()));
    }

    /** LSEEK: {@code fuse_lseek_in { fh, offset, whence }}; SEEK_SET/CUR/END/DATA/HOLE on the host file. */
    void lseek(FuseRequest request, FuseReply reply) throws ErrnoException {
        ByteBuffer in = request.struct("fuse_lseek_in", 24);
        OpenHandle handle = tree.handles().get(in.getLong(0), false);
        int whence = in.getInt(16);
        if (whence < LibcFs.SEEK_SET || whence > LibcFs.SEEK_HOLE) {
            throw new ErrnoException("FUSE_LSEEK with whence " + whence, FuseErrno.EINVAL);
        }
        long position = ErrnoException.check("lseek(handle " + handle.id() + ")",
                LibcFs.lseek(handle.fd(), in.getLong(8), whence));
        reply.payload("FUSE_LSEEK", FuseEncoding.lseekOut(position));
    }
}
