package dev.flint.virtio.fs;

import dev.flint.vmm.sys.ErrnoException;
import dev.flint.vmm.sys.Libc;
import dev.flint.vmm.sys.LibcFs;
import dev.flint.vmm.sys.Stat;

import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The shared host directory as the operations see it, and the rules that keep the guest inside
 * it (virtiofsd's design): every node is an {@code O_PATH|O_NOFOLLOW} fd, every name is resolved
 * with one {@code openat} relative to its parent's fd and may not contain '/' or be "." or "..",
 * symlinks are never followed on the host, and files are opened by reopening a node's fd through
 * {@code /proc/self/fd} (which lands on exactly that inode) only when it is a regular file or a
 * directory. No path from the guest is ever resolved from the host's root or working directory.
 */
final class HostTree implements AutoCloseable {
    static final int NAME_MAX = 255;
    /** Flags that must not reach a reopen through /proc/self/fd: creation and lookup behaviour is ours to choose. */
    private static final int REOPEN_STRIPPED = LibcFs.O_CREAT | LibcFs.O_EXCL | LibcFs.O_NOCTTY | LibcFs.O_NOFOLLOW
            | LibcFs.O_PATH | LibcFs.O_TMPFILE | LibcFs.O_DIRECT | LibcFs.O_NOATIME;

    private final int procSelfFd;
    private final InodeTable inodes;
    private final HandleTable handles;
    private final boolean readOnly;

    /**
     * Opens {@code directory} and {@code /proc/self/fd}; fails with what went wrong and where. The
     * guest may hold at most {@code maxNodes} nodes and {@code maxHandles} open handles.
     */
    HostTree(Path directory, boolean readOnly, int maxNodes, int maxHandles) throws ErrnoException {
        this.readOnly = readOnly;
        this.handles = new HandleTable(maxHandles);
        int proc = LibcFs.openat(LibcFs.AT_FDCWD, "/proc/self/fd", LibcFs.O_PATH | LibcFs.O_DIRECTORY | LibcFs.O_CLOEXEC, 0);
        ErrnoException.check("open(/proc/self/fd) (virtio-fs needs /proc to reopen files safely)", proc);
        int root = LibcFs.openat(LibcFs.AT_FDCWD, directory.toString(),
                LibcFs.O_PATH | LibcFs.O_DIRECTORY | LibcFs.O_CLOEXEC, 0);
        if (root < 0) {
            Libc.close(proc);
            throw new ErrnoException("open(" + directory + ") as the shared directory", -root);
        }
        this.procSelfFd = proc;
        try {
            this.inodes = new InodeTable(root, stat(root), maxNodes);
        } catch (ErrnoException e) {
            Libc.close(root);
            Libc.close(proc);
            throw e;
        }
    }

    InodeTable inodes() {
        return inodes;
    }

    HandleTable handles() {
        return handles;
    }

    /** EROFS for {@code operation} on a read-only share. */
    void requireWritable(String operation) throws ErrnoException {
        if (readOnly) {
            throw new ErrnoException(operation + " on a read-only share", FuseErrno.EROFS);
        }
    }

    /** The name of an entry the guest wants in a directory: one path component, never "." or "..". */
    static String checkName(String operation, String name) throws ErrnoException {
        if (name.isEmpty() || name.equals(".") || name.equals("..") || name.indexOf('/') >= 0) {
            throw new ErrnoException(operation + " of '" + name + "': not a single name inside the directory",
                    FuseErrno.EINVAL);
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > NAME_MAX) {
            throw new ErrnoException(operation + ": name longer than " + NAME_MAX + " bytes", FuseErrno.ENAMETOOLONG);
        }
        return name;
    }

    /** A host name as a String, or null when it is not valid UTF-8 (it could not be named back exactly). */
    static String decodeName(byte[] name) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(name)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** {@code fstatat(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)}: the attributes of the file {@code fd} pins. */
    static HostAttributes stat(int fd) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            Stat stat = Stat.allocate(arena);
            ErrnoException.check("fstatat(fd " + fd + ")",
                    LibcFs.fstatat(fd, "", stat.segment(), LibcFs.AT_EMPTY_PATH | LibcFs.AT_SYMLINK_NOFOLLOW));
            return HostAttributes.of(stat);
        }
    }

    /** The node {@code nodeId}, which must be a directory. */
    Inode directory(String operation, long nodeId) throws ErrnoException {
        Inode inode = inodes.get(nodeId);
        if (inode.type() != Stat.S_IFDIR) {
            throw new ErrnoException(operation + ": node " + nodeId + " is not a directory", FuseErrno.ENOTDIR);
        }
        return inode;
    }

    /** A looked-up entry: the node (one more lookup on it) and its attributes. */
    record Entry(Inode inode, HostAttributes attributes) {
        byte[] encode() {
            return FuseEncoding.entryOut(inode.nodeId(), attributes);
        }
    }

    /** Looks {@code name} up in {@code parent} without following a symlink; the guest now holds one more lookup. */
    Entry lookup(Inode parent, String name) throws ErrnoException {
        int fd = LibcFs.openat(parent.pathFd(), name, LibcFs.O_PATH | LibcFs.O_NOFOLLOW | LibcFs.O_CLOEXEC, 0);
        ErrnoException.check("openat(node " + parent.nodeId() + ", " + name + ", O_PATH|O_NOFOLLOW)", fd);
        return adopt(fd);
    }

    /** Registers the {@code O_PATH} fd {@code pathFd} (ours to own or close) as an entry. */
    private Entry adopt(int pathFd) throws ErrnoException {
        HostAttributes attributes;
        try {
            attributes = stat(pathFd);
        } catch (ErrnoException e) {
            Libc.close(pathFd);
            throw e;
        }
        return new Entry(inodes.adopt(pathFd, attributes), attributes);
    }

    /** An entry for the file an open fd refers to (CREATE): its {@code O_PATH} twin taken through /proc/self/fd. */
    Entry entryOfOpenFile(int openFd) throws ErrnoException {
        int fd = LibcFs.openat(procSelfFd, Integer.toString(openFd), LibcFs.O_PATH | LibcFs.O_CLOEXEC, 0);
        ErrnoException.check("openat(/proc/self/fd/" + openFd + ", O_PATH)", fd);
        return adopt(fd);
    }

    /**
     * Opens the file {@code inode} pins for I/O with the guest's {@code flags}: only regular files
     * and directories (a symlink would be followed, a device or fifo would reach host hardware or
     * block the server), and never for writing on a read-only share.
     */
    int reopen(String operation, Inode inode, int flags) throws ErrnoException {
        switch (inode.type()) {
            case Stat.S_IFREG, Stat.S_IFDIR -> {
            }
            case Stat.S_IFLNK -> throw new ErrnoException(operation + ": node " + inode.nodeId()
                    + " is a symlink, which is never opened on the host", FuseErrno.ELOOP);
            default -> throw new ErrnoException(operation + ": node " + inode.nodeId()
                    + " is a special file, which is never opened on the host", FuseErrno.EACCES);
        }
        if (readOnly && ((flags & LibcFs.O_ACCMODE) != LibcFs.O_RDONLY || (flags & LibcFs.O_TRUNC) != 0)) {
            throw new ErrnoException(operation + " for writing on a read-only share", FuseErrno.EROFS);
        }
        int fd = LibcFs.openat(procSelfFd, Integer.toString(inode.pathFd()),
                (flags & ~REOPEN_STRIPPED) | LibcFs.O_CLOEXEC, 0);
        return ErrnoException.check(operation + ": reopen of node " + inode.nodeId(), fd);
    }

    /** Flags for creating a file by name: the guest's access and status flags, never following a symlink. */
    static int createFlags(int guestFlags) {
        return (guestFlags & ~REOPEN_STRIPPED) | (guestFlags & LibcFs.O_EXCL)
                | LibcFs.O_CREAT | LibcFs.O_NOFOLLOW | LibcFs.O_CLOEXEC;
    }

    /** The name of {@code inode}'s fd inside /proc/self/fd, for calls that only take a path (chmod, link). */
    String procName(Inode inode) {
        return Integer.toString(inode.pathFd());
    }

    int procSelfFd() {
        return procSelfFd;
    }

    /**
     * Gives a freshly created node the permission bits the guest asked for: our process umask
     * must not narrow them (the guest kernel already applied the guest's umask).
     */
    HostAttributes applyMode(Entry entry, int mode) throws ErrnoException {
        int wanted = mode & 07777;
        if ((entry.attributes().mode() & 07777) == wanted || entry.inode().type() == Stat.S_IFLNK) {
            return entry.attributes();
        }
        ErrnoException.check("fchmodat(node " + entry.inode().nodeId() + ")",
                LibcFs.fchmodat(procSelfFd, procName(entry.inode()), wanted));
        return stat(entry.inode().pathFd());
    }

    @Override
    public void close() {
        handles.close();
        inodes.close();
        Libc.close(procSelfFd);
    }
}
