package dev.flint.virtio.fs;

import dev.flint.vmm.sys.ErrnoException;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The file handles an image share gave the guest: an open file is its node; an open directory
 * also holds the listing taken at OPENDIR, so READDIR offsets stay meaningful while trees are
 * published. Handles are never reused, and at most {@value #MAX_OPEN} are open at once: a guest
 * that opens without releasing gets EMFILE rather than growing the host's heap. (They hold no
 * host fd, hence a higher cap than a host share's {@link HandleTable#MAX_OPEN}; the share's
 * nodes need no cap at all: they are the published trees' own, see {@link ImageNodes}.)
 */
final class ImageHandles {
    static final int MAX_OPEN = 1 << 16;

    /** One name in a directory listing. */
    record Listed(byte[] name, ImageNode node) {
    }

    /** An open file ({@code listing} null) or directory. */
    record Handle(long id, ImageNode node, List<Listed> listing) implements FuseHandle {
        @Override
        public boolean directory() {
            return listing != null;
        }
    }

    private final Map<Long, Handle> handles = new HashMap<>();
    private long nextId = 1;

    Handle open(String operation, ImageNode node, List<Listed> listing) throws ErrnoException {
        FuseHandle.requireRoom(operation, handles.size(), MAX_OPEN);
        Handle handle = new Handle(nextId++, node, listing == null ? null : List.copyOf(listing));
        handles.put(handle.id(), handle);
        return handle;
    }

    /** The handle {@code fh}; EBADF when it is not open or is a file where a directory was expected (or the reverse). */
    Handle get(long fh, boolean directory) throws ErrnoException {
        return FuseHandle.checked(handles.get(fh), fh, directory);
    }

    void release(long fh, boolean directory) throws ErrnoException {
        get(fh, directory);
        handles.remove(fh);
    }

    /** Every open handle, for a snapshot. */
    List<Handle> all() {
        return List.copyOf(handles.values());
    }

    long nextId() {
        return nextId;
    }

    /** Replaces every handle with {@code restored}, handing out ids from {@code next} on (a restore). */
    void restore(List<Handle> restored, long next) {
        handles.clear();
        restored.forEach(h -> handles.put(h.id(), h));
        nextId = next;
    }

    int size() {
        return handles.size();
    }

    void clear() {
        handles.clear();
    }
}
