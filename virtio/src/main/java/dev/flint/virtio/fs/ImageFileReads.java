package dev.flint.virtio.fs;

import dev.flint.image.tree.TreeNode;
import dev.flint.vmm.sys.ErrnoException;
import dev.flint.vmm.sys.LibcFs;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * OPEN, READ, FLUSH and RELEASE on image files. READ copies from the layer tar, at the
 * file's data offset, straight into the guest's buffers: no host buffer in between, and never
 * past the file's size (the next tar member starts there) or the negotiated maximum.
 */
final class ImageFileReads {
    static final int READ_IN_BYTES = 40;
    /** FOPEN_KEEP_CACHE: the file never changes, so the guest's page cache stays valid across opens. */
    static final int FOPEN_KEEP_CACHE = 1 << 1;
    static final long MAX_READ = FuseSession.MAX_WRITE;

    private final ImageNodes nodes;
    private final ImageHandles handles;
    private final LayerChannels layers;

    ImageFileReads(ImageNodes nodes, ImageHandles handles, LayerChannels layers) {
        this.nodes = nodes;
        this.handles = handles;
        this.layers = layers;
    }

    /** OPEN: {@code fuse_open_in { u32 flags; u32 open_flags; }}; read-only opens of regular files only. */
    void open(FuseRequest request, FuseReply reply) throws ErrnoException {
        int flags = request.struct("fuse_open_in", 8).getInt(0);
        ImageNode node = nodes.get("FUSE_OPEN", request.header().nodeId());
        if (node.isDirectory()) {
            throw new ErrnoException("FUSE_OPEN of directory node " + node.nodeId() + " (OPENDIR opens directories)",
                    FuseErrno.EISDIR);
        }
        if ((flags & LibcFs.O_ACCMODE) != LibcFs.O_RDONLY || (flags & LibcFs.O_TRUNC) != 0) {
            throw new ErrnoException("FUSE_OPEN for writing on the read-only image share", FuseErrno.EROFS);
        }
        if (!node.node().isRegularFile()) {
            throw new ErrnoException("FUSE_OPEN of node " + node.nodeId() + ", which is not a regular file",
                    FuseErrno.EINVAL);
        }
        ImageHandles.Handle handle = handles.open("FUSE_OPEN", node, null);
        reply.payload("FUSE_OPEN", FuseEncoding.openOut(handle.id(), FOPEN_KEEP_CACHE));
    }

    /** READ: {@code fuse_read_in { fh, offset, size, ... }} (40 bytes). */
    void read(FuseRequest request, FuseReply reply) throws ErrnoException {
        ByteBuffer in = request.struct("fuse_read_in", READ_IN_BYTES);
        ImageHandles.Handle handle = handles.get(in.getLong(0), false);
        long offset = in.getLong(8);
        long size = Integer.toUnsignedLong(in.getInt(16));
        if (offset < 0) {
            throw new ErrnoException("FUSE_READ at negative offset " + offset, FuseErrno.EINVAL);
        }
        TreeNode file = handle.node().node();
        long length = Math.min(Math.min(size, MAX_READ), Math.max(0, file.size() - offset));
        if (length == 0) {
            reply.filled(0);
            return;
        }
        FileChannel channel = layers.of(file.dataTar());
        long position = file.dataOffset() + offset;
        long done = 0;
        try {
            for (MemorySegment view : reply.payloadViews(length)) {
                ByteBuffer into = view.asByteBuffer();
                while (into.hasRemaining()) {
                    if (channel.read(into, position + done + into.position()) < 0) {
                        break; // the tar is shorter than its index said: a short read, as at end of file
                    }
                }
                done += into.position();
                if (into.hasRemaining()) {
                    break;
                }
            }
        } catch (IOException e) {
            throw new ErrnoException("reading " + length + " bytes of node " + handle.node().nodeId() + " from layer "
                    + file.dataTar() + " failed: " + e.getMessage(), FuseErrno.EIO);
        }
        reply.filled(done);
    }

    /** FLUSH: {@code fuse_flush_in} (24 bytes); nothing is buffered, the handle need only be open. */
    void flush(FuseRequest request) throws ErrnoException {
        handles.get(request.struct("fuse_flush_in", 24).getLong(0), false);
    }

    /** RELEASE: {@code fuse_release_in} (24 bytes). */
    void release(FuseRequest request) throws ErrnoException {
        handles.release(request.struct("fuse_release_in", 24).getLong(0), false);
    }
}
