package dev.flint.vmm.snapshot;

import dev.flint.vmm.sys.ErrnoException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/** KVM structs as the byte strings a state record keeps: out of an ioctl, into one, and from a saved state. */
final class StructBytes {
    private StructBytes() {
    }

    /** A byte string that must be exactly one KVM struct of {@code size} bytes. */
    static byte[] readStruct(StateInput in, long size) throws SnapshotException {
        byte[] bytes = new byte[(int) size];
        in.readSegment(MemorySegment.ofArray(bytes));
        return bytes;
    }

    /** An ioctl that fills a struct buffer. */
    interface Getter {
        void get(MemorySegment buffer) throws ErrnoException;
    }

    static byte[] fetch(Arena arena, long size, Getter getter) throws ErrnoException {
        MemorySegment buffer = arena.allocate(size, 8);
        getter.get(buffer);
        return buffer.toArray(JAVA_BYTE);
    }

    /** A native copy of {@code bytes}, zero-filled up to {@code size} (a larger XSAVE area than was saved). */
    static MemorySegment copyIn(Arena arena, byte[] bytes, long size) {
        MemorySegment buffer = arena.allocate(size, 8);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, buffer, 0, bytes.length);
        return buffer;
    }
}
