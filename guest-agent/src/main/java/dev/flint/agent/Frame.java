package dev.flint.agent;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;

/**
 * One protocol frame: {@code u32 payload length, u8 type, u32 process id, payload}, big-endian
 * (guest-agent/PROTOCOL.md).
 */
public record Frame(int type, int id, byte[] payload) {
    public static final int HEADER = 9;
    /** Neither side accepts a larger payload. */
    public static final int MAX_PAYLOAD = 1 << 20;

    public static final int HELLO = 1;
    public static final int EXEC = 2;
    public static final int STARTED = 3;
    public static final int EXEC_FAILED = 4;
    public static final int STDIN = 5;
    public static final int STDIN_CLOSE = 6;
    public static final int STDOUT = 7;
    public static final int STDERR = 8;
    public static final int EXIT = 9;
    public static final int KILL = 10;
    public static final int PING = 11;
    public static final int PONG = 12;
    public static final int POWEROFF = 13;
    public static final int ERROR = 14;
    public static final int RENEW = 15;
    public static final int RENEWED = 16;
    public static final int RENEW_FAILED = 17;
    public static final int FILE_STAT = 18;
    public static final int FILE_LIST = 19;
    public static final int FILE_MKDIRS = 20;
    public static final int FILE_REMOVE = 21;
    public static final int FILE_WRITE = 22;
    public static final int FILE_READ = 23;
    public static final int FILE_DATA = 24;
    public static final int FILE_ACK = 25;
    public static final int FILE_END = 26;
    public static final int FILE_ENTRY = 27;
    public static final int FILE_DONE = 28;
    public static final int FILE_ERROR = 29;
    public static final int FILE_SYMLINK = 30;
    public static final int RESIZE = 31;

    public Frame {
        if (payload.length > MAX_PAYLOAD) {
            throw new IllegalArgumentException("frame payload of " + payload.length + " bytes exceeds " + MAX_PAYLOAD);
        }
    }

    /**
     * Checks a frame the agent sent: a type the agent sends, with the payload length that type
     * has (STARTED 4 bytes, EXIT 8, ...). Anything else is a {@link ProtocolViolationException}.
     */
    public void checkFromAgent() throws ProtocolViolationException {
        String expected = switch (type) {
            case HELLO -> payload.length >= 2 ? null : "at least 2";
            case STARTED -> payload.length == 4 ? null : "4";
            case EXEC_FAILED -> payload.length >= 16 ? null : "at least 16";
            case EXIT -> payload.length == 8 ? null : "8";
            case ERROR -> payload.length >= 4 ? null : "at least 4";
            case RENEWED -> payload.length == 0 ? null : "0";
            case RENEW_FAILED -> payload.length >= 4 ? null : "at least 4";
            case FILE_ACK -> payload.length == 4 ? null : "4";
            case FILE_DONE -> payload.length == 0 ? null : "0";
            case FILE_ENTRY -> payload.length >= FileEntry.FIXED ? null : "at least " + FileEntry.FIXED;
            case FILE_ERROR -> payload.length >= 12 ? null : "at least 12";
            case FILE_DATA -> payload.length >= 1 && payload.length <= FileCall.CHUNK ? null : "1 to " + FileCall.CHUNK;
            case STDOUT, STDERR, PONG -> null;
            default -> throw new ProtocolViolationException("a frame of type " + type + " (for id " + id
                    + "), which the agent never sends");
        };
        if (expected != null) {
            throw new ProtocolViolationException(name(type) + " frame for id " + id + " with a payload of "
                    + payload.length + " bytes; it has " + expected);
        }
    }

    /** Whether a frame from the agent belongs to a file request. */
    static boolean isFileAnswer(int type) {
        return type == FILE_DATA || type == FILE_ACK || type == FILE_ENTRY || type == FILE_DONE || type == FILE_ERROR;
    }

    /** The request a frame from the agent answers (PING for PONG, RENEW for RENEWED...), else -1. */
    static int answers(int type) {
        return switch (type) {
            case PONG -> PING;
            case RENEWED, RENEW_FAILED -> RENEW;
            default -> -1;
        };
    }

    static String name(int type) {
        return switch (type) {
            case HELLO -> "HELLO";
            case PING -> "PING";
            case PONG -> "PONG";
            case RENEW -> "RENEW";
            case RENEWED -> "RENEWED";
            case RENEW_FAILED -> "RENEW_FAILED";
            case STARTED -> "STARTED";
            case EXEC_FAILED -> "EXEC_FAILED";
            case EXIT -> "EXIT";
            case ERROR -> "ERROR";
            case FILE_DATA -> "FILE_DATA";
            case FILE_ACK -> "FILE_ACK";
            case FILE_ENTRY -> "FILE_ENTRY";
            case FILE_DONE -> "FILE_DONE";
            case FILE_ERROR -> "FILE_ERROR";
            default -> "type " + type;
        };
    }

    /** The frame's bytes on the wire. */
    public ByteBuffer encode() {
        ByteBuffer buffer = ByteBuffer.allocate(HEADER + payload.length);
        buffer.putInt(payload.length).put((byte) type).putInt(id).put(payload);
        return buffer.flip();
    }

    /**
     * A {@code u32 length + UTF-8} string in a payload from the agent, for {@code field} of
     * frame type {@code frame}; a length running past the payload is a protocol violation.
     */
    static String string(ByteBuffer in, String frame, String field) throws ProtocolViolationException {
        if (in.remaining() < 4) {
            throw new ProtocolViolationException(frame + " payload ends before its " + field);
        }
        int length = in.getInt();
        if (length < 0 || length > in.remaining()) {
            throw new ProtocolViolationException(frame + " " + field + " of " + Integer.toUnsignedString(length)
                    + " bytes, more than the " + in.remaining() + " left in its payload");
        }
        String text = new String(in.array(), in.arrayOffset() + in.position(), length, StandardCharsets.UTF_8);
        in.position(in.position() + length);
        return text;
    }

    /** Reads one whole frame; {@link EOFException} when the stream ends between frames. */
    public static Frame read(ReadableByteChannel channel) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(HEADER);
        if (!fill(channel, header) && header.position() == 0) {
            throw new EOFException("the agent closed the connection");
        }
        header.flip();
        int length = header.getInt();
        int type = Byte.toUnsignedInt(header.get());
        int id = header.getInt();
        if (length < 0 || length > MAX_PAYLOAD) {
            throw new IOException("agent sent a frame of " + Integer.toUnsignedString(length)
                    + " bytes, more than the protocol's " + MAX_PAYLOAD);
        }
        ByteBuffer payload = ByteBuffer.allocate(length);
        if (!fill(channel, payload)) {
            throw new EOFException("the agent closed the connection in the middle of a frame");
        }
        return new Frame(type, id, payload.array());
    }

    /** Reads until {@code buffer} is full; false if the stream ended first. */
    private static boolean fill(ReadableByteChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            if (channel.read(buffer) < 0) {
                if (buffer.position() != 0 && buffer.position() < buffer.limit()) {
                    throw new EOFException("the agent closed the connection in the middle of a frame");
                }
                return false;
            }
        }
        return true;
    }
}
