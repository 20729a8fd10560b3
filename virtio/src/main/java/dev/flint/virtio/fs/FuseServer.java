package dev.flint.virtio.fs;

import dev.flint.virtio.queue.DescriptorChain;
import dev.flint.vmm.snapshot.SnapshotException;
import dev.flint.vmm.snapshot.StateInput;
import dev.flint.vmm.snapshot.StateOutput;
import dev.flint.vmm.sys.ErrnoException;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A FUSE server: decodes each request, keeps the session (INIT, DESTROY), hands every other
 * request to its {@link FuseFileSystem} and writes the reply into the same descriptor chain. Errors are answered as negative errno in the
 * out header; FORGET, BATCH_FORGET and INTERRUPT get no reply; unknown opcodes get ENOSYS.
 * Not thread-safe: the device serves requests one at a time on the event loop.
 */
final class FuseServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(FuseServer.class.getName());

    private final FuseFileSystem fileSystem;
    private final FuseSession session = new FuseSession();

    /** Serves {@code fileSystem}, which it closes when it is closed. */
    FuseServer(FuseFileSystem fileSystem) {
        this.fileSystem = fileSystem;
    }

    /** Node ids the guest holds (root included), for tests and diagnostics. */
    int liveNodes() {
        return fileSystem.liveNodes();
    }

    /** Open file and directory handles, for tests and diagnostics. */
    int openHandles() {
        return fileSystem.openHandles();
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
        if (opcode == FuseOpcode.DESTROY) {
            reset();
            return true;
        }
        return fileSystem.handle(request, reply);
    }

    /** The guest reset the device: its handles and node ids are gone, and it will INIT again. */
    void reset() {
        fileSystem.forgetAll();
        session.destroy();
    }

    /** The FUSE session, then the file system's node ids and handles. */
    void saveState(StateOutput out) throws SnapshotException {
        fileSystem.saveState(out);
        session.write(out);
    }

    void restoreState(StateInput in) throws SnapshotException {
        fileSystem.restoreState(in);
        session.restore(in);
    }

    /** Closes what the file system holds open on the host. */
    @Override
    public void close() {
        fileSystem.close();
    }
}
