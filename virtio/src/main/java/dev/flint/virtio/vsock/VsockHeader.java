package dev.flint.virtio.vsock;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The 44-byte little-endian header of every virtio-vsock packet ({@code struct virtio_vsock_hdr},
 * virtio spec 5.10.6).
 */
public record VsockHeader(long srcCid, long dstCid, int srcPort, int dstPort, int len, int type, int op,
                          int flags, int bufAlloc, int fwdCnt) {
    public static final int SIZE = 44;
    public static final int TYPE_STREAM = 1;

    public static final int OP_REQUEST = 1;
    public static final int OP_RESPONSE = 2;
    public static final int OP_RST = 3;
    public static final int OP_SHUTDOWN = 4;
    public static final int OP_RW = 5;
    public static final int OP_CREDIT_UPDATE = 6;
    public static final int OP_CREDIT_REQUEST = 7;

    /** SHUTDOWN flags: the sender will receive no more, send no more. */
    public static final int SHUTDOWN_RECEIVE = 1;
    public static final int SHUTDOWN_SEND = 2;

    /** Decodes a header from the first {@link #SIZE} bytes of {@code buffer} (position untouched). */
    public static VsockHeader decode(ByteBuffer buffer) {
        if (buffer.remaining() < SIZE) {
            throw new IllegalArgumentException("vsock header needs " + SIZE + " bytes, got " + buffer.remaining());
        }
        ByteBuffer b = buffer.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int at = b.position();
        return new VsockHeader(b.getLong(at), b.getLong(at + 8), b.getInt(at + 16), b.getInt(at + 20),
                b.getInt(at + 24), Short.toUnsignedInt(b.getShort(at + 28)), Short.toUnsignedInt(b.getShort(at + 30)),
                b.getInt(at + 32), b.getInt(at + 36), b.getInt(at + 40));
    }

    /** The header's 44 bytes. */
    public byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(srcCid).putLong(dstCid).putInt(srcPort).putInt(dstPort).putInt(len)
                .putShort((short) type).putShort((short) op).putInt(flags).putInt(bufAlloc).putInt(fwdCnt);
        return b.array();
    }

    public VsockHeader withLen(int length) {
        return new VsockHeader(srcCid, dstCid, srcPort, dstPort, length, type, op, flags, bufAlloc, fwdCnt);
    }

    public static String opName(int op) {
        return switch (op) {
            case OP_REQUEST -> "REQUEST";
            case OP_RESPONSE -> "RESPONSE";
            case OP_RST -> "RST";
            case OP_SHUTDOWN -> "SHUTDOWN";
            case OP_RW -> "RW";
            case OP_CREDIT_UPDATE -> "CREDIT_UPDATE";
            case OP_CREDIT_REQUEST -> "CREDIT_REQUEST";
            default -> "op " + op;
        };
    }
}
