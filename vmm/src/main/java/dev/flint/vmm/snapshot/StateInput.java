package dev.flint.vmm.snapshot;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/**
 * Reads what {@link StateOutput} wrote. Every read is bounded: a length past the end, a byte
 * string over its limit or a section with another name throws a {@link SnapshotException}
 * naming the state being read and the offset, never an unchecked exception or a huge allocation.
 */
public final class StateInput {
    private final byte[] bytes;
    private final String what;
    private int position;

    /** Reads {@code bytes}, the saved state of {@code what} (named in every error). */
    public StateInput(byte[] bytes, String what) {
        this.bytes = bytes;
        this.what = what;
    }

    public int readByte() throws SnapshotException {
        need(1);
        return bytes[position++] & 0xff;
    }

    public boolean readBoolean() throws SnapshotException {
        int value = readByte();
        if (value > 1) {
            throw corrupt("a boolean reads " + value);
        }
        return value == 1;
    }

    public int readShort() throws SnapshotException {
        return (readByte() << 8) | readByte();
    }

    public int readInt() throws SnapshotException {
        return (readShort() << 16) | readShort();
    }

    public long readLong() throws SnapshotException {
        return ((long) readInt() << 32) | (readInt() & 0xffff_ffffL);
    }

    /** An int that must lie in {@code [min, max]}, such as a queue size or an index. */
    public int readInt(int min, int max, String field) throws SnapshotException {
        int value = readInt();
        if (value < min || value > max) {
            throw corrupt(field + " is " + value + ", outside " + min + ".." + max);
        }
        return value;
    }

    /** A byte string of at most {@code maxLength} bytes. */
    public byte[] readBytes(int maxLength) throws SnapshotException {
        int length = readInt(0, maxLength, "a byte string's length");
        need(length);
        byte[] value = new byte[length];
        System.arraycopy(bytes, position, value, 0, length);
        position += length;
        return value;
    }

    /** A byte string that must fill {@code target} exactly (a native struct of a fixed size). */
    public void readSegment(MemorySegment target) throws SnapshotException {
        byte[] value = readBytes((int) Math.min(Integer.MAX_VALUE, target.byteSize()));
        if (value.length != target.byteSize()) {
            throw corrupt("a struct of " + target.byteSize() + " bytes holds " + value.length);
        }
        MemorySegment.copy(MemorySegment.ofArray(value), 0, target, 0, value.length);
    }

    public String readString(int maxLength) throws SnapshotException {
        return new String(readBytes(maxLength), StandardCharsets.UTF_8);
    }

    /** The section {@code name} (see {@link StateOutput#writeSection}), as an input of its own. */
    public StateInput readSection(String name) throws SnapshotException {
        String found = readString(256);
        if (!found.equals(name)) {
            throw corrupt("expected the state of " + name + ", found " + found
                    + " (the snapshot was taken of a machine with other devices)");
        }
        return new StateInput(readBytes(bytes.length), what + " / " + name);
    }

    /** Fails unless everything was read: a longer record is a state of another shape. */
    public void expectEnd() throws SnapshotException {
        if (position != bytes.length) {
            throw corrupt((bytes.length - position) + " bytes are left unread");
        }
    }

    public int remaining() {
        return bytes.length - position;
    }

    private void need(int count) throws SnapshotException {
        if (count > bytes.length - position) {
            throw corrupt("it ends after " + bytes.length + " bytes, " + count + " more were expected");
        }
    }

    private SnapshotException corrupt(String detail) {
        return new SnapshotException("the saved state of " + what + " is corrupt at byte " + position + ": " + detail
                + "; take the snapshot again");
    }
}
