package dev.flint.virtio.vsock;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
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

    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);

    /** Decodes a header from the first {@link #SIZE} bytes of {@code buffer} (position untouched). */
    public static VsockHeader decode(ByteBuffer buffer) {
        if (buffer.remaining() < SIZE) {
            throw new IllegalArgumentException("vsock header needs " + SIZE + " bytes, got " + buffer.remaining());
        }
        byte[] bytes = new byte[SIZE];
        buffer.duplicate().get(bytes);
        return decode(bytes);
    }

    /** Decodes a header from the first {@link #SIZE} bytes of {@code bytes}. */
    public static VsockHeader decode(byte[] bytes) {
        return new VsockHeader((long) LONG.get(bytes, 0), (long) LONG.get(bytes, 8), (int) INT.get(bytes, 16),
                (int) INT.get(bytes, 20), (int) INT.get(bytes, 24), Short.toUnsignedInt((short) SHORT.get(bytes, 28)),
                Short.toUnsignedInt((short) SHORT.get(bytes, 30)), (int) INT.get(bytes, 32), (int) INT.get(bytes, 36),
                (int) INT.get(bytes, 40));
    }

    /** The header's 44 bytes. */
    public byte[] encode() {
        byte[] bytes = new byte[SIZE];
        encodeInto(bytes);
        return bytes;
    }

    /** Writes the header's 44 bytes at the start of {@code bytes} (a device's scratch, reused per packet). */
    public void encodeInto(byte[] bytes) {
        LONG.set(bytes, 0, srcCid);
        LONG.set(bytes, 8, dstCid);
        INT.set(bytes, 16, srcPort);
        INT.set(bytes, 20, dstPort);
        INT.set(bytes, 24, len);
        SHORT.set(bytes, 28, (short) type);
        SHORT.set(bytes, 30, (short) op);
        INT.set(bytes, 32, flags);
        INT.set(bytes, 36, bufAlloc);
        INT.set(bytes, 40, fwdCnt);
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
