package dev.flint.virtio.fs;

/**
 * One host file the guest knows by a node id: an {@code O_PATH|O_NOFOLLOW} fd that pins the
 * exact inode (renames and swaps of its name on the host do not change what it refers to), the
 * host identity it is keyed by, its file type, and how many lookups the guest has not yet forgotten.
 */
final class Inode {
    /** Host identity: the same file is always the same node. */
    record Key(long dev, long ino) {
    }

    private final long nodeId;
    private final int pathFd;
    private final Key key;
    private final int type;
    private long lookups;

    Inode(long nodeId, int pathFd, Key key, int type, long lookups) {
        this.nodeId = nodeId;
        this.pathFd = pathFd;
        this.key = key;
        this.type = type;
        this.lookups = lookups;
    }

    long nodeId() {
        return nodeId;
    }

    /** The {@code O_PATH} fd; every operation on this file or inside this directory goes through it. */
    int pathFd() {
        return pathFd;
    }

    Key key() {
        return key;
    }

    /** The {@code S_IFMT} bits, fixed for the life of an inode. */
    int type() {
        return type;
    }

    void addLookups(long count) {
        lookups += count;
    }

    /** Takes back {@code count} lookups; returns whether none are left. */
    boolean forget(long count) {
        lookups = count >= lookups ? 0 : lookups - count;
        return lookups == 0;
    }
}
