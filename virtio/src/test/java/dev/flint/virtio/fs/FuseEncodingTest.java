package dev.flint.virtio.fs;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Reply struct sizes and field offsets against include/uapi/linux/fuse.h. */
class FuseEncodingTest {
    private static final HostAttributes ATTRIBUTES = new HostAttributes(1, 0x1122334455L, 0100644, 3, 1000, 1001,
            0x0801, 4096, 512, 8, 11, 12, 21, 22, 31, 32);

    @Test
    void structSizesMatchTheHeader() {
        assertEquals(88, FuseEncoding.ATTR_BYTES);
        assertEquals(128, FuseEncoding.ENTRY_OUT_BYTES);
        assertEquals(104, FuseEncoding.ATTR_OUT_BYTES);
        assertEquals(16, FuseEncoding.OPEN_OUT_BYTES);
        assertEquals(8, FuseEncoding.WRITE_OUT_BYTES);
        assertEquals(80, FuseEncoding.STATFS_OUT_BYTES);
        assertEquals(40, FuseInHeader.BYTES);
        assertEquals(16, FuseReply.HEADER_BYTES);
        assertEquals(64, FuseSession.INIT_OUT_BYTES);
        assertEquals(88, NodeOperations.SETATTR_IN_BYTES);
        assertEquals(40, FileOperations.READ_IN_BYTES);
    }

    @Test
    void attrFieldsSitAtTheirOffsets() {
        ByteBuffer entry = ByteBuffer.wrap(FuseEncoding.entryOut(42, ATTRIBUTES)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(128, entry.capacity());
        assertEquals(42, entry.getLong(0), "nodeid");
        assertEquals(0, entry.getLong(8), "generation");
        assertEquals(FuseEncoding.VALID_SECONDS, entry.getLong(16), "entry_valid");
        assertEquals(FuseEncoding.VALID_SECONDS, entry.getLong(24), "attr_valid");
        int attr = 40;
        assertEquals(0x1122334455L, entry.getLong(attr), "ino");
        assertEquals(4096, entry.getLong(attr + 8), "size");
        assertEquals(8, entry.getLong(attr + 16), "blocks");
        assertEquals(11, entry.getLong(attr + 24), "atime");
        assertEquals(21, entry.getLong(attr + 32), "mtime");
        assertEquals(31, entry.getLong(attr + 40), "ctime");
        assertEquals(12, entry.getInt(attr + 48), "atimensec");
        assertEquals(22, entry.getInt(attr + 52), "mtimensec");
        assertEquals(32, entry.getInt(attr + 56), "ctimensec");
        assertEquals(0100644, entry.getInt(attr + 60), "mode");
        assertEquals(3, entry.getInt(attr + 64), "nlink");
        assertEquals(1000, entry.getInt(attr + 68), "uid");
        assertEquals(1001, entry.getInt(attr + 72), "gid");
        assertEquals(0x0801, entry.getInt(attr + 76), "rdev");
        assertEquals(512, entry.getInt(attr + 80), "blksize");
        ByteBuffer attrOut = ByteBuffer.wrap(FuseEncoding.attrOut(ATTRIBUTES)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0100644, attrOut.getInt(16 + 60));
    }

    @Test
    void direntsArePaddedToEightBytes() {
        assertEquals(32, FuseEncoding.direntSize(1));
        assertEquals(32, FuseEncoding.direntSize(8));
        assertEquals(40, FuseEncoding.direntSize(9));
        ByteBuffer out = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        FuseEncoding.putDirent(out, 7, 99, 8, new byte[]{'a', 'b', 'c'});
        assertEquals(32, out.position());
        assertEquals(7, out.getLong(0));
        assertEquals(99, out.getLong(8), "off: where the next READDIR continues");
        assertEquals(3, out.getInt(16));
        assertEquals(8, out.getInt(20), "DT_REG");
        assertEquals('a', out.get(24));
        assertEquals(0, out.get(27), "zero padding");
    }

    @Test
    void statfsOpenWriteAndLseekReplies() {
        ByteBuffer statfs = ByteBuffer.wrap(FuseEncoding.statfsOut(1, 2, 3, 4, 5, 6, 7, 8)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(3, statfs.getLong(16), "bavail");
        assertEquals(5, statfs.getLong(32), "ffree");
        assertEquals(6, statfs.getInt(40), "bsize");
        assertEquals(7, statfs.getInt(44), "namelen");
        assertEquals(8, statfs.getInt(48), "frsize");
        ByteBuffer open = ByteBuffer.wrap(FuseEncoding.openOut(77, 2)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(77, open.getLong(0));
        assertEquals(2, open.getInt(8));
        assertEquals(123, ByteBuffer.wrap(FuseEncoding.writeOut(123)).order(ByteOrder.LITTLE_ENDIAN).getInt(0));
        assertEquals(1L << 40, ByteBuffer.wrap(FuseEncoding.lseekOut(1L << 40)).order(ByteOrder.LITTLE_ENDIAN).getLong(0));
    }

    @Test
    void negativeEntriesAndXattrSizesForTheImageShare() {
        ByteBuffer negative = ByteBuffer.wrap(FuseEncoding.negativeEntryOut(77)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        assertEquals(FuseEncoding.ENTRY_OUT_BYTES, negative.capacity());
        assertEquals(0, negative.getLong(0), "node id 0: the name does not exist");
        assertEquals(77, negative.getLong(16), "entry_valid");
        ByteBuffer size = ByteBuffer.wrap(FuseEncoding.xattrSizeOut(1234)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        assertEquals(8, size.capacity());
        assertEquals(1234, size.getInt(0));
        assertEquals(0, size.getInt(4));
    }
}
