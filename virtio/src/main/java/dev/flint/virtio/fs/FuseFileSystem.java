package dev.flint.virtio.fs;

import dev.flint.vmm.snapshot.SnapshotException;
import dev.flint.vmm.snapshot.StateInput;
import dev.flint.vmm.snapshot.StateOutput;
import dev.flint.vmm.sys.ErrnoException;

/**
 * What a {@link FuseServer} serves once the session is up: a shared host directory
 * ({@link HostFileSystem}) or published image trees ({@link ImageFileSystem}). Called on the
 * device's event loop only, one request at a time.
 */
interface FuseFileSystem extends AutoCloseable {
    /**
     * Runs one request (never INIT, INTERRUPT or DESTROY); returns whether it has a reply.
     * Failures are an {@link ErrnoException} carrying the errno the guest gets; an opcode the
     * file system does not serve is ENOSYS.
     */
    boolean handle(FuseRequest request, FuseReply reply) throws ErrnoException;

    /** The guest reset or unmounted: every node id and handle it held is gone. */
    void forgetAll();

    /** Node ids the guest holds (root included), for tests and diagnostics. */
    int liveNodes();

    /** Open file and directory handles, for tests and diagnostics. */
    int openHandles();

    /** Releases what the file system holds on the host. */
    @Override
    void close();

    /** Writes the node ids and handles the guest holds, for a snapshot. */
    void saveState(StateOutput out) throws SnapshotException;

    /** Takes what {@link #saveState} wrote, in a new file system, before the guest runs. */
    void restoreState(StateInput in) throws SnapshotException;
}
