package dev.flint.virtio.fs;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Encoders for the reply structs of include/uapi/linux/fuse.h (protocol 7.31 and later, all
 * little-endian): {@code fuse_attr}, {@code fuse_entry_out}, {@code fuse_attr_out},
 * {@code fuse_open_out}, {@code fuse_write_out}, {@code fuse_kstatfs}, {@code fuse_lseek_out},
 * {@code fuse_dirent} and {@code fuse_direntplus}. Sizes are pinned by {@code FuseEncodingTest}.
 */
final class FuseEncoding {
    static final int ATTR_BYTES = 88;
    static final int ENTRY_OUT_BYTES = 40 + ATTR_BYTES;
    static final int ATTR_OUT_BYTES = 16 + ATTR_BYTES;
    static final int OPEN_OUT_BYTES = 16;
    static final int WRITE_OUT_BYTES = 8;
    static final int STATFS_OUT_BYTES = 80;
    static final int LSEEK_OUT_BYTES = 8;
    static final int DIRENT_NAME_OFFSET = 24;
    static final int GETXATTR_OUT_BYTES = 8;

    /** How long the guest may cache names and attributes: short, because the host may change the tree too. */
    static final long VALID_SECONDS = 1;

    private FuseEncoding() {
    }

    private static ByteBuffer allocate(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** {@code struct fuse_attr}; {@code ino} is the host inode number, which the guest shows to programs. */
    static void putAttr(ByteBuffer out, HostAttributes a) {
        out.putLong(a.ino()).putLong(a.size()).putLong(a.blocks())
                .putLong(a.atimeSeconds()).putLong(a.mtimeSeconds()).putLong(a.ctimeSeconds())
                .putInt((int) a.atimeNanos()).putInt((int) a.mtimeNanos()).putInt((int) a.ctimeNanos())
                .putInt(a.mode()).putInt((int) Math.min(a.nlink(), 0xffff_ffffL)).putInt(a.uid()).putInt(a.gid())
                .putInt((int) a.rdev()).putInt((int) a.blksize()).putInt(0);
    }

    static void putEntry(ByteBuffer out, long nodeId, HostAttributes attributes) {
        putEntry(out, nodeId, attributes, VALID_SECONDS);
    }

    /** {@code struct fuse_entry_out} whose name and attributes the guest may cache for {@code validSeconds}. */
    static void putEntry(ByteBuffer out, long nodeId, HostAttributes attributes, long validSeconds) {
        out.putLong(nodeId).putLong(0).putLong(validSeconds).putLong(validSeconds).putInt(0).putInt(0);
        putAttr(out, attributes);
    }

    static byte[] entryOut(long nodeId, HostAttributes attributes) {
        return entryOut(nodeId, attributes, VALID_SECONDS);
    }

    static byte[] entryOut(long nodeId, HostAttributes attributes, long validSeconds) {
        ByteBuffer out = allocate(ENTRY_OUT_BYTES);
        putEntry(out, nodeId, attributes, validSeconds);
        return out.array();
    }

    /**
     * A negative {@code fuse_entry_out}: node id 0 tells the guest the name does not exist and
     * lets it remember that for {@code validSeconds}.
     */
    static byte[] negativeEntryOut(long validSeconds) {
        return allocate(ENTRY_OUT_BYTES).putLong(0).putLong(0).putLong(validSeconds).array();
    }

    static byte[] attrOut(HostAttributes attributes) {
        return attrOut(attributes, VALID_SECONDS);
    }

    static byte[] attrOut(HostAttributes attributes, long validSeconds) {
        ByteBuffer out = allocate(ATTR_OUT_BYTES);
        out.putLong(validSeconds).putInt(0).putInt(0);
        putAttr(out, attributes);
        return out.array();
    }

    /** {@code struct fuse_getxattr_out { u32 size; u32 padding; }}: the size a GETXATTR/LISTXATTR of size 0 asks for. */
    static byte[] xattrSizeOut(int size) {
        return allocate(GETXATTR_OUT_BYTES).putInt(size).putInt(0).array();
    }

    static byte[] openOut(long handle, int openFlags) {
        return allocate(OPEN_OUT_BYTES).putLong(handle).putInt(openFlags).putInt(0).array();
    }

    static byte[] writeOut(int size) {
        return allocate(WRITE_OUT_BYTES).putInt(size).putInt(0).array();
    }

    static byte[] lseekOut(long offset) {
        return allocate(LSEEK_OUT_BYTES).putLong(offset).array();
    }

    static byte[] statfsOut(long blocks, long freeBlocks, long availableBlocks, long files, long freeFiles,
                            int blockSize, int nameLength, int fragmentSize) {
        ByteBuffer out = allocate(STATFS_OUT_BYTES);
        out.putLong(blocks).putLong(freeBlocks).putLong(availableBlocks).putLong(files).putLong(freeFiles)
                .putInt(blockSize).putInt(nameLength).putInt(fragmentSize);
        return out.array();
    }

    /** Bytes a {@code fuse_dirent} with a {@code nameLength}-byte name takes, padded to 8. */
    static int direntSize(int nameLength) {
        return (DIRENT_NAME_OFFSET + nameLength + 7) & ~7;
    }

    /** {@code struct fuse_dirent}: inode, the offset of the next entry, name length, type (DT_*), name, padding. */
    static void putDirent(ByteBuffer out, long ino, long nextOffset, int type, byte[] name) {
        int start = out.position();
        out.putLong(ino).putLong(nextOffset).putInt(name.length).putInt(type).put(name);
        out.position(start + direntSize(name.length));
    }
}
