package dev.flint.vmm.snapshot;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * Writes a saved state: big-endian numbers, length-prefixed byte strings and named sections, the
 * encoding every state record of a snapshot uses ({@link StateInput} reads it back, bounded).
 */
public final class StateOutput {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    public StateOutput writeByte(int value) {
        bytes.write(value);
        return this;
    }

    public StateOutput writeBoolean(boolean value) {
        return writeByte(value ? 1 : 0);
    }

    public StateOutput writeShort(int value) {
        return writeByte(value >>> 8).writeByte(value);
    }

    public StateOutput writeInt(int value) {
        return writeShort(value >>> 16).writeShort(value);
    }

    public StateOutput writeLong(long value) {
        return writeInt((int) (value >>> 32)).writeInt((int) value);
    }

    /** A byte string: its length as an int, then the bytes. */
    public StateOutput writeBytes(byte[] value) {
        writeInt(value.length);
        bytes.writeBytes(value);
        return this;
    }

    /** The contents of a native struct (a KVM ioctl buffer) as a byte string. */
    public StateOutput writeSegment(MemorySegment segment) {
        return writeBytes(segment.toArray(JAVA_BYTE));
    }

    public StateOutput writeString(String value) {
        return writeBytes(value.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * A named section: its name, its length, then what {@code body} writes. A reader checks the
     * name and stays inside the length, so a state record that changed shape fails loudly.
     */
    public StateOutput writeSection(String name, Consumer<StateOutput> body) {
        StateOutput inner = new StateOutput();
        body.accept(inner);
        writeString(name);
        return writeBytes(inner.toByteArray());
    }

    public byte[] toByteArray() {
        return bytes.toByteArray();
    }
}
