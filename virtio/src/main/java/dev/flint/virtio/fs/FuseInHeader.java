package dev.flint.virtio.fs;

import java.nio.ByteBuffer;

/**
 * {@code struct fuse_in_header} (40 bytes): the total request length, the opcode, the id the
 * reply must carry, the node the request is about, and the caller's credentials.
 */
record FuseInHeader(long length, int opcode, long unique, long nodeId, int uid, int gid, int pid) {
    static final int BYTES = 40;

    static FuseInHeader decode(ByteBuffer in) {
        return new FuseInHeader(Integer.toUnsignedLong(in.getInt(0)), in.getInt(4), in.getLong(8), in.getLong(16),
                in.getInt(24), in.getInt(28), in.getInt(32));
    }
}
