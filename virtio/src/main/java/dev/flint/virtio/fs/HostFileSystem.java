package dev.flint.virtio.fs;

import dev.flint.vmm.snapshot.SnapshotException;
import dev.flint.vmm.snapshot.StateInput;
import dev.flint.vmm.snapshot.StateOutput;
import dev.flint.vmm.sys.ErrnoException;

import java.nio.file.Path;

/**
 * The file system of one shared host directory: every opcode runs on the host through the
 * node's {@code O_PATH} fd (see {@link HostTree}), so the guest can never reach outside it.
 */
final class HostFileSystem implements FuseFileSystem {
    private final Path directory;
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
        this.directory = directory;
        this.tree = new HostTree(directory, readOnly, maxNodes, maxHandles);
        this.nodes = new NodeOperations(tree);
        this.names = new NamespaceOperations(tree);
        this.files = new FileOperations(tree);
        this.directories = new DirectoryOperations(tree);
    }

    /**
     * Refused. The guest's node ids and open files here are host file descriptors ({@code O_PATH}
     * fds keyed by device and inode, open fds with their flags); a new process cannot get the same
     * files back for sure: by path, a file renamed, replaced or deleted on the host meanwhile (or
     * one the guest holds open after unlinking it) would come back as another file or not at all,
     * and the guest would read or write the wrong data under an id it trusts. Refusing is the one
     * safe answer; image shares and disks snapshot.
     */
    @Override
    public void saveState(StateOutput out) throws SnapshotException {
        throw new SnapshotException("the virtio-fs share of host directory " + directory + " cannot be saved in a"
                + " snapshot: its open files are host file descriptors a restored VM cannot get back for sure;"
                + " share the data as an image or a disk, or leave the share out of a VM you snapshot");
    }

    @Override
    public void restoreState(StateInput in) throws SnapshotException {
        throw new SnapshotException("a virtio-fs share of a host directory cannot be restored from a snapshot");
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
