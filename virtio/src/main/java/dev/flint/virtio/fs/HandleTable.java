package dev.flint.virtio.fs;

import dev.flint.vmm.sys.ErrnoException;
import dev.flint.vmm.sys.Libc;

import java.util.HashMap;
import java.util.Map;

/**
 * The file handles ({@code fh}) given to the guest by OPEN, OPENDIR and CREATE, each owning one
 * host fd until RELEASE/RELEASEDIR. Handles are never reused, so a stale {@code fh} is EBADF
 * rather than someone else's file.
 */
final class HandleTable implements AutoCloseable {
    private final Map<Long, OpenHandle> handles = new HashMap<>();
    private long nextId = 1;

    OpenHandle add(int fd, long nodeId, boolean directory, int flags) {
        OpenHandle handle = new OpenHandle(nextId++, fd, nodeId, directory, flags);
        handles.put(handle.id(), handle);
        return handle;
    }

    /** The open file {@code fh} names; EBADF when it is unknown or is a directory where a file was expected (or the reverse). */
    OpenHandle get(long fh, boolean directory) throws ErrnoException {
        return FuseHandle.checked(handles.get(fh), fh, directory);
    }

    /** Closes and forgets {@code fh}. */
    void release(long fh, boolean directory) throws ErrnoException {
        OpenHandle handle = get(fh, directory);
        handles.remove(fh);
        Libc.close(handle.fd());
    }

    int size() {
        return handles.size();
    }

    @Override
    public void close() {
        for (OpenHandle handle : handles.values()) {
            Libc.close(handle.fd());
        }
        handles.clear();
    }
}
