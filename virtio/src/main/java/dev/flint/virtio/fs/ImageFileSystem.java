package dev.flint.virtio.fs;

import dev.flint.vmm.snapshot.SnapshotException;
import dev.flint.vmm.snapshot.StateInput;
import dev.flint.vmm.snapshot.StateOutput;
import dev.flint.vmm.sys.ErrnoException;
import dev.flint.vmm.sys.LibcFs;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The read-only file system of an image share: a synthetic root (0555 root:root) whose entries
 * are the published image trees. Metadata comes from the trees, file data straight from the
 * layer tars; every modifying request is EROFS. Names and attributes inside a tree are cached by
 * the guest for long (trees never change); the root's never, so a tree published while the
 * guest runs is found at once.
 */
final class ImageFileSystem implements FuseFileSystem {
    static final int STATFS_NAME_LENGTH = 255;

    private final ImageNodes nodes;
    private final ImageHandles handles = new ImageHandles();
    private final LayerChannels layers = new LayerChannels();
    private final ImageFileReads files;
    private final ImageDirectoryListing directories;
    private final ImageXattrs xattrs;

    ImageFileSystem(PublishedTrees trees) {
        this.nodes = new ImageNodes(trees);
        this.files = new ImageFileReads(nodes, handles, layers);
        this.directories = new ImageDirectoryListing(nodes, handles);
        this.xattrs = new ImageXattrs(nodes);
    }

    @Override
    public boolean handle(FuseRequest request, FuseReply reply) throws ErrnoException {
        int opcode = request.header().opcode();
        switch (opcode) {
            case FuseOpcode.FORGET, FuseOpcode.BATCH_FORGET -> {
                return false; // node ids are never counted: nothing to free
            }
            case FuseOpcode.LOOKUP -> lookup(request, reply);
            case FuseOpcode.GETATTR -> getattr(request, reply);
            case FuseOpcode.READLINK -> readlink(request, reply);
            case FuseOpcode.ACCESS -> access(request);
            case FuseOpcode.STATFS -> statfs(reply);
            case FuseOpcode.OPEN -> files.open(request, reply);
            case FuseOpcode.READ -> files.read(request, reply);
            case FuseOpcode.FLUSH -> files.flush(request);
            case FuseOpcode.RELEASE -> files.release(request);
            case FuseOpcode.FSYNC, FuseOpcode.FSYNCDIR -> {
                // Nothing is ever written: there is nothing to sync.
            }
            case FuseOpcode.OPENDIR -> directories.opendir(request, reply);
            case FuseOpcode.READDIR -> directories.readdir(request, reply, false);
            case FuseOpcode.READDIRPLUS -> directories.readdir(request, reply, true);
            case FuseOpcode.RELEASEDIR -> directories.releasedir(request);
            case FuseOpcode.GETXATTR -> xattrs.getxattr(request, reply);
            case FuseOpcode.LISTXATTR -> xattrs.listxattr(request, reply);
            case FuseOpcode.SETATTR, FuseOpcode.SYMLINK, FuseOpcode.MKNOD, FuseOpcode.MKDIR, FuseOpcode.UNLINK,
                 FuseOpcode.RMDIR, FuseOpcode.RENAME, FuseOpcode.RENAME2, FuseOpcode.LINK, FuseOpcode.WRITE,
                 FuseOpcode.CREATE, FuseOpcode.SETXATTR, FuseOpcode.REMOVEXATTR, FuseOpcode.FALLOCATE,
                 FuseOpcode.COPY_FILE_RANGE, FuseOpcode.TMPFILE -> throw new ErrnoException(
                    FuseOpcode.name(opcode) + " on the read-only image share", FuseErrno.EROFS);
            default -> throw new ErrnoException(FuseOpcode.name(opcode) + " is not implemented by the image share",
                    FuseErrno.ENOSYS);
        }
        return true;
    }

    /**
     * LOOKUP: a published name in the root (uncached: ENOENT for a name not yet published), or a
     * name in a tree directory (a missing one is a negative entry the guest may cache).
     */
    private void lookup(FuseRequest request, FuseReply reply) throws ErrnoException {
        String name = request.string("name");
        ImageNode directory = nodes.directory("FUSE_LOOKUP", request.header().nodeId());
        ImageNode entry = nodes.child(directory, name);
        if (entry == null) {
            if (directory.isRoot()) {
                throw new ErrnoException("FUSE_LOOKUP: no image tree is published as '" + name + "'", FuseErrno.ENOENT);
            }
            reply.payload("FUSE_LOOKUP", FuseEncoding.negativeEntryOut(ImageNode.TREE_VALID_SECONDS));
            return;
        }
        reply.payload("FUSE_LOOKUP", FuseEncoding.entryOut(entry.nodeId(), entry.attributes(nodes.trees()),
                ImageNodes.entryValidSeconds(directory, entry)));
    }

    /** GETATTR: {@code fuse_getattr_in} (16 bytes) is read and ignored: a node's attributes do not depend on its handle. */
    private void getattr(FuseRequest request, FuseReply reply) throws ErrnoException {
        request.skip("fuse_getattr_in", 16);
        ImageNode node = nodes.get("FUSE_GETATTR", request.header().nodeId());
        reply.payload("FUSE_GETATTR", FuseEncoding.attrOut(node.attributes(nodes.trees()), node.validSeconds()));
    }

    /** READLINK: the link's text as the layer stored it; the guest resolves it inside its own mount. */
    private void readlink(FuseRequest request, FuseReply reply) throws ErrnoException {
        ImageNode node = nodes.get("FUSE_READLINK", request.header().nodeId());
        if (node.isRoot() || !node.node().isSymlink()) {
            throw new ErrnoException("FUSE_READLINK: node " + node.nodeId() + " is not a symlink", FuseErrno.EINVAL);
        }
        reply.payload("FUSE_READLINK", node.node().symlinkTarget().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * ACCESS: {@code fuse_access_in { u32 mask; u32 padding; }}, checked against the image's own
     * owner and mode for the caller's uid and primary gid (root may read anything and execute
     * what has an x bit); writing is EROFS.
     */
    private void access(FuseRequest request) throws ErrnoException {
        int mask = request.struct("fuse_access_in", 8).getInt(0) & 7;
        ImageNode node = nodes.get("FUSE_ACCESS", request.header().nodeId());
        if ((mask & LibcFs.W_OK) != 0) {
            throw new ErrnoException("FUSE_ACCESS for writing on the read-only image share", FuseErrno.EROFS);
        }
        if (mask == LibcFs.F_OK) {
            return;
        }
        HostAttributes attributes = node.attributes(nodes.trees());
        int mode = attributes.mode();
        int uid = request.header().uid();
        boolean allowed;
        if (uid == 0) {
            allowed = (mask & LibcFs.X_OK) == 0 || node.isDirectory() || (mode & 0111) != 0;
        } else {
            int bits = uid == attributes.uid() ? (mode >> 6) & 7
                    : request.header().gid() == attributes.gid() ? (mode >> 3) & 7 : mode & 7;
            allowed = (bits & mask) == mask;
        }
        if (!allowed) {
            throw new ErrnoException("FUSE_ACCESS: mask " + mask + " denied on node " + node.nodeId(), FuseErrno.EACCES);
        }
    }

    /** STATFS: the published trees' sizes and node counts; nothing is free, the share is read-only. */
    private void statfs(FuseReply reply) throws ErrnoException {
        long bytes = 0;
        long files = 1;
        for (PublishedTree tree : nodes.trees().snapshot().values()) {
            bytes += tree.tree().fileBytes();
            files += tree.tree().nodeCount();
        }
        int block = (int) ImageNode.BLOCK_SIZE;
        reply.payload("FUSE_STATFS", FuseEncoding.statfsOut((bytes + block - 1) / block, 0, 0, files, 0, block,
                STATFS_NAME_LENGTH, block));
    }

    @Override
    public void saveState(StateOutput out) {
        List<ImageShareState.Handle> open = new ArrayList<>();
        for (ImageHandles.Handle handle : handles.all()) {
            open.add(new ImageShareState.Handle(handle.id(), handle.node().nodeId(), handle.directory()));
        }
        open.sort(Comparator.comparingLong(ImageShareState.Handle::id));
        new ImageShareState(nodes.trees().captureState(), open, handles.nextId()).write(out);
    }

    /**
     * Gives the trees their saved indices (so every node id the guest holds names the same node)
     * and opens every saved handle again under its id: a file's reads need no host fd, a
     * directory's listing is taken again.
     */
    @Override
    public void restoreState(StateInput in) throws SnapshotException {
        ImageShareState state = ImageShareState.read(in);
        nodes.trees().restoreState(state.trees());
        List<ImageHandles.Handle> restored = new ArrayList<>();
        for (ImageShareState.Handle saved : state.handles()) {
            if (saved.id() < 1 || saved.id() >= state.nextHandle()) {
                throw new SnapshotException("the saved image share has handle " + saved.id() + " outside 1.."
                        + (state.nextHandle() - 1) + "; the snapshot is corrupt");
            }
            ImageNode node;
            try {
                node = nodes.get("restore", saved.nodeId());
            } catch (ErrnoException e) {
                throw new SnapshotException("the guest had node " + saved.nodeId() + " of the image share open,"
                        + " which the published trees do not hold; publish the same image trees before restoring");
            }
            if (saved.directory() != node.isDirectory()) {
                throw new SnapshotException("the saved image share opened node " + saved.nodeId() + " as a "
                        + (saved.directory() ? "directory" : "file") + "; it is not one: the trees differ");
            }
            restored.add(new ImageHandles.Handle(saved.id(), node, saved.directory() ? directories.listing(node) : null));
        }
        handles.restore(restored, state.nextHandle());
    }

    @Override
    public void forgetAll() {
        handles.clear();
    }

    @Override
    public int liveNodes() {
        return 1 + nodes.trees().size();
    }

    @Override
    public int openHandles() {
        return handles.size();
    }

    /** Layer tars this share holds open (tests and diagnostics). */
    int openLayers() {
        return layers.size();
    }

    @Override
    public void close() {
        handles.clear();
        layers.close();
    }
}
