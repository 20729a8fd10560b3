package dev.flint.virtio.fs;

import dev.flint.vmm.sys.ErrnoException;
import dev.flint.vmm.sys.Libc;

import java.util.HashMap;
import java.util.Map;

/**
 * The file handles ({@code fh}) given to the guest by OPEN, OPENDIR and CREATE, each owning one
 * host fd until RELEASE/RELEASEDIR. Handles are never reused, so a stale {@code fh} is EBADF
 * rather than someone else's file. At most {@value #MAX_OPEN} are open at once (a guest process
 * rarely may hold more than 1,024 fds, Linux's default soft limit): a guest that opens without
 * releasing gets EMFILE rather than using up the host process's fds, which every other machine
 * in it shares.
 */
final class HandleTable implements AutoCloseable {
    static final int MAX_OPEN = 1 << 14;

    private final Map<Long, OpenHandle> handles = new HashMap<>();
    private final int maxOpen;
    private long nextId = 1;

    HandleTable() {
        this(MAX_OPEN);
    }

    /** A table of at most {@code maxOpen} handles (tests use a small one). */
    HandleTable(int maxOpen) {
        this.maxOpen = maxOpen;
    }

    /** EMFILE for {@code operation} when no handle can be added: checked before anything is created on the host. */
    void requireRoom(String operation) throws ErrnoException {
        FuseHandle.requireRoom(operation, handles.size(), maxOpen);
    }

    /** Adds a handle owning {@code fd}; when the table is full, closes {@code fd} and fails with EMFILE. */
    OpenHandle add(String operation, int fd, long nodeId, boolean directory, int flags) throws ErrnoException {
        try {
            requireRoom(operation);
        } catch (ErrnoException e) {
            Libc.close(fd);
            throw e;
        }
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
