package dev.flint.virtio.fs;

import dev.flint.vmm.sys.Dirent64;
import dev.flint.vmm.sys.ErrnoException;
import dev.flint.vmm.sys.LibcFs;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Requests on open directories: OPENDIR, READDIR, READDIRPLUS, RELEASEDIR and FSYNCDIR.
 * Listing is {@code getdents64} on the directory's own fd; the guest's offset is the host's
 * opaque {@code d_off} cookie, so each READDIR seeks the fd there and continues.
 */
final class DirectoryOperations {
    private static final byte[] DOT = {'.'};
    private static final byte[] DOT_DOT = {'.', '.'};
    /** Host listing buffer per getdents64 call. */
    private static final int LISTING_BUFFER = 32 * 1024;

    private final HostTree tree;

    DirectoryOperations(HostTree tree) {
        this.tree = tree;
    }

    /** OPENDIR: {@code fuse_open_in}; the node must be a directory, reopened read-only from its fd. */
    void opendir(FuseRequest request, FuseReply reply) throws ErrnoException {
        int flags = request.struct("fuse_open_in", 8).getInt(0);
        Inode inode = tree.directory("FUSE_OPENDIR", request.header().nodeId());
        int fd = tree.reopen("FUSE_OPENDIR", inode, LibcFs.O_RDONLY | LibcFs.O_DIRECTORY);
        OpenHandle handle = tree.handles().add("FUSE_OPENDIR", fd, inode.nodeId(), true, flags);
        reply.payload("FUSE_OPENDIR", FuseEncoding.openOut(handle.id(), 0));
    }

    /** RELEASEDIR: {@code fuse_release_in}; closes the directory fd. */
    void releasedir(FuseRequest request) throws ErrnoException {
        tree.handles().release(request.struct("fuse_release_in", 24).getLong(0), true);
    }

    /** FSYNCDIR: {@code fuse_fsync_in} on a directory handle. */
    void fsyncdir(FuseRequest request) throws ErrnoException {
        FileOperations.sync(tree, request, true);
    }

    /**
     * READDIR ({@code plus} false) or READDIRPLUS: {@code fuse_read_in { fh, offset, size }}.
     * Entries go out as {@code fuse_dirent}s, or with READDIRPLUS as {@code fuse_direntplus}
     * (an entry_out then the dirent), as many as fit in {@code size} bytes. Each PLUS entry is
     * a lookup the guest will FORGET, except "." and "..", which the guest kernel does not take.
     */
    void readdir(FuseRequest request, FuseReply reply, boolean plus) throws ErrnoException {
        String operation = plus ? "FUSE_READDIRPLUS" : "FUSE_READDIR";
        ByteBuffer in = request.struct("fuse_read_in", FileOperations.READ_IN_BYTES);
        OpenHandle handle = tree.handles().get(in.getLong(0), true);
        long offset = in.getLong(8);
        // Bounded before the allocation: aliased descriptors can make the reply's capacity 2 GiB.
        int size = (int) Math.min(Math.min(Integer.toUnsignedLong(in.getInt(16)), reply.capacity()),
                ImageFileReads.MAX_READ);
        Inode directory = tree.inodes().get(handle.nodeId());
        ErrnoException.check("lseek(directory handle " + handle.id() + ", " + offset + ")",
                LibcFs.lseek(handle.fd(), offset, LibcFs.SEEK_SET));
        ByteBuffer out = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment listing = arena.allocate(LISTING_BUFFER);
            fill:
            while (true) {
                long length = ErrnoException.check("getdents64(directory handle " + handle.id() + ")",
                        LibcFs.getdents64(handle.fd(), listing));
                if (length == 0) {
                    break;
                }
                for (long at = 0; at < length; ) {
                    Dirent64 entry = Dirent64.read(listing.asSlice(0, length), at);
                    at += entry.recordLength();
                    int needed = FuseEncoding.direntSize(entry.name().length) + (plus ? FuseEncoding.ENTRY_OUT_BYTES : 0);
                    if (needed > out.remaining()) {
                        break fill;
                    }
                    if (plus) {
                        putEntryPlus(out, directory, entry);
                    }
                    FuseEncoding.putDirent(out, entry.ino(), entry.nextOffset(), entry.type(), entry.name());
                }
            }
        }
        reply.payload(operation, Arrays.copyOf(out.array(), out.position()));
    }

    /** The entry_out half of a direntplus: a real lookup, or an empty one for "." and "..". */
    private void putEntryPlus(ByteBuffer out, Inode directory, Dirent64 entry) throws ErrnoException {
        if (Arrays.equals(entry.name(), DOT) || Arrays.equals(entry.name(), DOT_DOT)) {
            out.put(new byte[FuseEncoding.ENTRY_OUT_BYTES]);
            return;
        }
        String name = HostTree.decodeName(entry.name());
        HostTree.Entry looked = null;
        if (name != null) {
            try {
                looked = tree.lookup(directory, name);
            } catch (ErrnoException e) {
                looked = null;
            }
        }
        if (looked == null) {
            // Gone since the listing, or not valid UTF-8: node id 0 tells the guest "no attributes, look it up".
            out.put(new byte[FuseEncoding.ENTRY_OUT_BYTES]);
            return;
        }
        FuseEncoding.putEntry(out, looked.inode().nodeId(), looked.attributes());
    }
}
