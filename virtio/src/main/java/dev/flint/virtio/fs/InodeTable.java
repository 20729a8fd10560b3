package dev.flint.virtio.fs;

import dev.flint.vmm.sys.ErrnoException;
import dev.flint.vmm.sys.Libc;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;

/**
 * The node ids handed to the guest. The root (node 1) is the shared directory and lives as long
 * as the table; every other node is created by a lookup-like reply with one lookup, gains one
 * per further reply that names it, and is dropped (its fd closed) when FORGET takes the last one
 * back. Nodes are keyed by host (st_dev, st_ino), so hard links and repeated lookups share a node.
 * Node ids are never reused.
 *
 * <p>Each node holds an {@code O_PATH} fd, and the guest decides how many it keeps (its inode
 * cache), so at most {@value #MAX_NODES} exist at once, root included: a lookup that would make
 * one more is ENFILE (the guest's cache must shrink first: FORGET, or {@code drop_caches}) rather
 * than using up the host process's fds.
 */
final class InodeTable implements AutoCloseable {
    static final long ROOT_ID = 1;
    static final int MAX_NODES = 1 << 16;

    private final Map<Long, Inode> byId = new HashMap<>();
    private final Map<Inode.Key, Inode> byKey = new HashMap<>();
    private final Inode root;
    private final int maxNodes;
    private long nextId = ROOT_ID + 1;

    /** Takes ownership of {@code rootFd}, the shared directory's {@code O_PATH} fd; at most {@code maxNodes} nodes. */
    InodeTable(int rootFd, HostAttributes rootAttributes, int maxNodes) {
        this.maxNodes = maxNodes;
        root = new Inode(ROOT_ID, rootFd, key(rootAttributes), rootAttributes.type(), 1);
        byId.put(ROOT_ID, root);
        byKey.put(root.key(), root);
    }

    private static Inode.Key key(HostAttributes attributes) {
        return new Inode.Key(attributes.dev(), attributes.ino());
    }

    Inode root() {
        return root;
    }

    /** The node the guest named; EBADF (the guest's id is stale or made up) when there is none. */
    Inode get(long nodeId) throws ErrnoException {
        Inode inode = byId.get(nodeId);
        if (inode == null) {
            throw new ErrnoException("node " + nodeId + " is not one this server handed out", FuseErrno.EBADF);
        }
        return inode;
    }

    /**
     * Adds one lookup to the node for the file {@code pathFd} refers to: the existing node when the
     * host file already has one (and {@code pathFd} is closed), else a new node owning {@code pathFd}.
     */
    Inode adopt(int pathFd, HostAttributes attributes) throws ErrnoException {
        Inode existing = byKey.get(key(attributes));
        if (existing != null) {
            Libc.close(pathFd);
            existing.addLookups(1);
            return existing;
        }
        try {
            requireRoom("a lookup");
        } catch (ErrnoException e) {
            Libc.close(pathFd);
            throw e;
        }
        Inode inode = new Inode(nextId++, pathFd, key(attributes), attributes.type(), 1);
        byId.put(inode.nodeId(), inode);
        byKey.put(inode.key(), inode);
        return inode;
    }

    /** ENFILE for {@code operation} when the table holds {@code maxNodes}: checked before a new file is made on the host. */
    void requireRoom(String operation) throws ErrnoException {
        if (byId.size() >= maxNodes) {
            throw new ErrnoException(operation + ": the guest already holds " + maxNodes
                    + " nodes of this share; it must forget some first", FuseErrno.ENFILE);
        }
    }

    /** The guest forgot {@code count} lookups of {@code nodeId}; unknown ids are ignored (FORGET has no reply). */
    void forget(long nodeId, long count) {
        Inode inode = byId.get(nodeId);
        if (inode == null || inode == root) {
            return;
        }
        if (inode.forget(count)) {
            byId.remove(nodeId);
            byKey.remove(inode.key());
            Libc.close(inode.pathFd());
        }
    }

    /** Nodes the guest holds, root included. */
    int size() {
        return byId.size();
    }

    /** Drops every node but the root (the guest unmounted: DESTROY). */
    void forgetAll() {
        for (Inode inode : new ArrayList<>(byId.values())) {
            if (inode != root) {
                byId.remove(inode.nodeId());
                byKey.remove(inode.key());
                Libc.close(inode.pathFd());
            }
        }
    }

    @Override
    public void close() {
        forgetAll();
        byId.clear();
        byKey.clear();
        Libc.close(root.pathFd());
    }
}
