package dev.flint.agent;

import java.nio.ByteBuffer;
import java.time.Instant;

/**
 * One file in the guest as {@link GuestFiles#stat} and {@link GuestFiles#list} see it (not
 * followed when a symlink): its name (the last component; {@code /} for the root), type,
 * permission bits, size, modification time and, for a symlink, its target.
 */
public record FileEntry(String name, Type type, int mode, long size, Instant modified, String linkTarget) {
    /** The longest name the agent sends (NAME_MAX). */
    static final int MAX_NAME = 255;
    /** The longest symlink target the agent sends (PATH_MAX less its NUL). */
    static final int MAX_TARGET = 4095;
    /** type, mode, size, mtime seconds and nanoseconds, and the two string lengths. */
    static final int FIXED = 1 + 4 + 8 + 8 + 4 + 4 + 4;

    public enum Type { FILE, DIRECTORY, SYMLINK, OTHER }

    public boolean isDirectory() {
        return type == Type.DIRECTORY;
    }

    /** A FILE_ENTRY payload from the agent; every length and value is checked against the protocol. */
    static FileEntry decode(byte[] payload) throws ProtocolViolationException {
        if (payload.length < FIXED) {
            throw new ProtocolViolationException("FILE_ENTRY payload of " + payload.length + " bytes; it has at least " + FIXED);
        }
        ByteBuffer in = ByteBuffer.wrap(payload);
        int typeCode = Byte.toUnsignedInt(in.get());
        if (typeCode >= Type.values().length) {
            throw new ProtocolViolationException("FILE_ENTRY of type " + typeCode + ", which the protocol does not have");
        }
        int mode = in.getInt();
        if ((mode & ~07777) != 0) {
            throw new ProtocolViolationException("FILE_ENTRY mode " + Integer.toOctalString(mode) + " has bits beyond 07777");
        }
        long size = in.getLong();
        if (size < 0) {
            throw new ProtocolViolationException("FILE_ENTRY size " + Long.toUnsignedString(size) + " is over 2^63");
        }
        long seconds = in.getLong();
        int nanos = in.getInt();
        if (nanos < 0 || nanos >= 1_000_000_000 || seconds < Instant.MIN.getEpochSecond() || seconds > Instant.MAX.getEpochSecond()) {
            throw new ProtocolViolationException("FILE_ENTRY mtime " + seconds + "." + Integer.toUnsignedString(nanos)
                    + " is not a time");
        }
        String name = bounded(in, "name", MAX_NAME);
        String target = bounded(in, "symlink target", MAX_TARGET);
        if (in.hasRemaining()) {
            throw new ProtocolViolationException("FILE_ENTRY has " + in.remaining() + " bytes after its fields");
        }
        if (name.isEmpty() || (!name.equals("/") && name.indexOf('/') >= 0) || name.indexOf('\0') >= 0) {
            throw new ProtocolViolationException("FILE_ENTRY name \"" + name + "\" is not a file name");
        }
        return new FileEntry(name, Type.values()[typeCode], mode, size, Instant.ofEpochSecond(seconds, nanos), target);
    }

    private static String bounded(ByteBuffer in, String field, int max) throws ProtocolViolationException {
        if (in.remaining() >= 4 && Integer.compareUnsigned(in.getInt(in.position()), max) > 0) {
            throw new ProtocolViolationException("FILE_ENTRY " + field + " of " + Integer.toUnsignedString(in.getInt(in.position()))
                    + " bytes is over the protocol's " + max);
        }
        return Frame.string(in, "FILE_ENTRY", field);
    }
}
