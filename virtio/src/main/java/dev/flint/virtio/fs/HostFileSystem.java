package dev.flint.virtio.fs;

import dev.flint.vmm.sys.ErrnoException;

import java.nio.file.Path;

/**
 * The file system of one shared host directory: every opcode runs on the host through the
 * node's {@code O_PATH} fd (see {@link HostTree}), so the guest can never reach outside it.
 */
final class HostFileSystem implements FuseFileSystem {
    private final HostTree tree;
    private final NodeOperations nodes;
    private final NamespaceOperations names;
    private final FileOperations files;
    private final DirectoryOperations directories;

    /**
     * Serves {@code directory}; fails when it cannot be opened. The guest may hold at most
     * {@link InodeTable#MAX_NODES} nodes and {@link HandleTable#MAX_OPEN} open handles.
     */
    HostFileSystem(Path directory, boolean readOnly) throws ErrnoException {
        this(directory, readOnly, InodeTable.MAX_NODES, HandleTable.MAX_OPEN);
    }

    /** Serves {@code directory} with other caps on nodes and handles (tests). */
    HostFileSystem(Path directory, boolean readOnly, int maxNodes, int maxHandles) throws ErrnoException {
        this.tree = new HostTree(directory, readOnly, maxNodes, maxHandles);
        this.nodes = new NodeOperations(tree);
        this.names = new NamespaceOperations(tree);
        this.files = new FileOperations(tree);
        this.directories = new DirectoryOperations(tree);
    }

    @Override
    public int liveNodes() {
        return tree.inodes().size();
    }

    @Override
    public int openHandles() {
        return tree.handles().size();
    }

    @Override
    public boolean handle(FuseRequest request, FuseReply reply) throws ErrnoException {
        int opcode = request.header().opcode();
        switch (opcode) {
            case FuseOpcode.FORGET -> {
                nodes.forget(request);
                return false;
            }
            case FuseOpcode.BATCH_FORGET -> {
                nodes.batchForget(request);
                return false;
            }
            case FuseOpcode.LOOKUP -> nodes.lookup(request, reply);
            case FuseOpcode.GETATTR -> nodes.getattr(request, reply);
            case FuseOpcode.SETATTR -> nodes.setattr(request, reply);
            case FuseOpcode.READLINK -> nodes.readlink(request, reply);
            case FuseOpcode.ACCESS -> nodes.access(request);
            case FuseOpcode.STATFS -> nodes.statfs(request, reply);
            case FuseOpcode.MKNOD -> names.mknod(request, reply);
            case FuseOpcode.MKDIR -> names.mkdir(request, reply);
            case FuseOpcode.SYMLINK -> names.symlink(request, reply);
            case FuseOpcode.LINK -> names.link(request, reply);
            case FuseOpcode.UNLINK -> names.unlink(request);
            case FuseOpcode.RMDIR -> names.rmdir(request);
            case FuseOpcode.RENAME -> names.rename(request);
            case FuseOpcode.RENAME2 -> names.rename2(request);
            case FuseOpcode.OPEN -> files.open(request, reply);
            case FuseOpcode.CREATE -> files.create(request, reply);
            case FuseOpcode.READ -> files.read(request, reply);
            case FuseOpcode.WRITE -> files.write(request, reply);
            case FuseOpcode.FLUSH -> files.flush(request);
            case FuseOpcode.RELEASE -> files.release(request);
            case FuseOpcode.FSYNC -> files.fsync(request);
            case FuseOpcode.LSEEK -> files.lseek(request, reply);
            case FuseOpcode.OPENDIR -> directories.opendir(request, reply);
            case FuseOpcode.READDIR -> directories.readdir(request, reply, false);
            case FuseOpcode.READDIRPLUS -> directories.readdir(request, reply, true);
            case FuseOpcode.RELEASEDIR -> directories.releasedir(request);
            case FuseOpcode.FSYNCDIR -> directories.fsyncdir(request);
            // Extended attributes, locks, fallocate, ioctl and the rest are not offered.
            default -> throw new ErrnoException(FuseOpcode.name(opcode) + " is not implemented", FuseErrno.ENOSYS);
        }
        return true;
    }

    @Override
    public void forgetAll() {
        tree.handles().close();
        tree.inodes().forgetAll();
    }

    /** Closes every host fd: open handles, nodes, the shared directory. */
    @Override
    public void close() {
        tree.close();
    }
}
