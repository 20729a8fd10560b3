package dev.flint.virtio.fs;

import dev.flint.virtio.queue.DescriptorChain;
import dev.flint.vmm.sys.ErrnoException;

import java.nio.file.Path;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A FUSE server for one shared host directory: decodes each request, runs the operation and
 * writes the reply into the same descriptor chain. Errors are answered as negative errno in the
 * out header; FORGET, BATCH_FORGET and INTERRUPT get no reply; unknown opcodes get ENOSYS.
 * Not thread-safe: the device serves requests one at a time on the event loop.
 */
final class FuseServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(FuseServer.class.getName());

    private final HostTree tree;
    private final FuseSession session = new FuseSession();
    private final NodeOperations nodes;
    private final NamespaceOperations names;
    private final FileOperations files;
    private final DirectoryOperations directories;

    /** Serves {@code directory}; fails when it cannot be opened. */
    FuseServer(Path directory, boolean readOnly) throws ErrnoException {
        this.tree = new HostTree(directory, readOnly);
        this.nodes = new NodeOperations(tree);
        this.names = new NamespaceOperations(tree);
        this.files = new FileOperations(tree);
        this.directories = new DirectoryOperations(tree);
    }

    /** Node ids the guest holds (root included), for tests and diagnostics. */
    int liveNodes() {
        return tree.inodes().size();
    }

    /** Open file and directory handles, for tests and diagnostics. */
    int openHandles() {
        return tree.handles().size();
    }

    /** Serves the request in {@code chain}; returns the bytes written into its writable buffers. */
    int serve(DescriptorChain chain) {
        FuseRequest request = FuseRequest.parse(chain);
        if (request == null) {
            LOG.warning("virtio-fs request " + chain.head() + " is shorter than a FUSE header; dropped");
            return 0;
        }
        FuseInHeader header = request.header();
        FuseReply reply = new FuseReply(chain);
        boolean expectsReply = header.opcode() != FuseOpcode.FORGET && header.opcode() != FuseOpcode.BATCH_FORGET
                && header.opcode() != FuseOpcode.INTERRUPT;
        if (expectsReply && !reply.hasRoomForHeader()) {
            LOG.warning(FuseOpcode.name(header.opcode()) + " request " + header.unique()
                    + " left no room for a reply; dropped");
            return 0;
        }
        try {
            if (!request.lengthConsistent()) {
                throw new ErrnoException(FuseOpcode.name(header.opcode()) + " request claims " + header.length()
                        + " bytes but carries " + chain.readableLength(), FuseErrno.EINVAL);
            }
            boolean replied = dispatch(request, reply);
            return replied ? reply.success(header.unique()) : 0;
        } catch (ErrnoException e) {
            LOG.log(Level.FINE, () -> "FUSE request " + header.unique() + ": " + e.getMessage());
            return expectsReply ? reply.error(header.unique(), e.errno()) : 0;
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, FuseOpcode.name(header.opcode()) + " request " + header.unique() + " failed", e);
            return expectsReply ? reply.error(header.unique(), FuseErrno.EIO) : 0;
        }
    }

    /** Runs one request; returns whether it has a reply. */
    private boolean dispatch(FuseRequest request, FuseReply reply) throws ErrnoException {
        int opcode = request.header().opcode();
        if (opcode == FuseOpcode.INIT) {
            session.init(request, reply);
            return true;
        }
        if (opcode == FuseOpcode.INTERRUPT) {
            return false; // every request is finished before the next is read: nothing is left to interrupt
        }
        if (!session.initialized()) {
            throw new ErrnoException(FuseOpcode.name(opcode) + " before FUSE_INIT", FuseErrno.EIO);
        }
        switch (opcode) {
            case FuseOpcode.FORGET -> {
                nodes.forget(request);
                return false;
            }
            case FuseOpcode.BATCH_FORGET -> {
                nodes.batchForget(request);
                return false;
            }
            case FuseOpcode.DESTROY -> reset();
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

    /** The guest reset the device: its handles and node ids are gone, and it will INIT again. */
    void reset() {
        tree.handles().close();
        tree.inodes().forgetAll();
        session.destroy();
    }

    /** Closes every host fd: open handles, nodes, the shared directory. */
    @Override
    public void close() {
        tree.close();
    }
}
