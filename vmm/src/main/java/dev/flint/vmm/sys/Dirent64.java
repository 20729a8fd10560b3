package dev.flint.vmm.sys;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.nio.charset.StandardCharsets;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

/**
 * One {@code struct linux_dirent64} record in a buffer {@link LibcFs#getdents64} filled: inode,
 * the opaque offset of the next record, record length, type, then the NUL-terminated name.
 */
public record Dirent64(long ino, long nextOffset, int recordLength, int type, byte[] name) {
    /** The fixed part: {@code d_ino}, {@code d_off}, {@code d_reclen}, {@code d_type}; the name follows at 19. */
    public static final StructLayout HEADER = structLayout(
            JAVA_LONG_UNALIGNED.withName("d_ino"),
            JAVA_LONG_UNALIGNED.withName("d_off"),
            JAVA_SHORT_UNALIGNED.withName("d_reclen"),
            JAVA_BYTE.withName("d_type"));
    public static final long NAME_OFFSET = HEADER.byteSize();

    private static final long INO = HEADER.byteOffset(groupElement("d_ino"));
    private static final long OFF = HEADER.byteOffset(groupElement("d_off"));
    private static final long RECLEN = HEADER.byteOffset(groupElement("d_reclen"));
    private static final long TYPE = HEADER.byteOffset(groupElement("d_type"));

    /** Decodes the record at {@code at} in {@code buffer}; the kernel wrote it, so its length is trusted but checked. */
    public static Dirent64 read(MemorySegment buffer, long at) {
        int length = Short.toUnsignedInt(buffer.get(JAVA_SHORT_UNALIGNED, at + RECLEN));
        if (length < NAME_OFFSET + 1 || at + length > buffer.byteSize()) {
            throw new IllegalStateException("getdents64 record at " + at + " claims " + length
                    + " bytes in a buffer of " + buffer.byteSize());
        }
        int nameLength = 0;
        while (NAME_OFFSET + nameLength < length && buffer.get(JAVA_BYTE, at + NAME_OFFSET + nameLength) != 0) {
            nameLength++;
        }
        byte[] name = buffer.asSlice(at + NAME_OFFSET, nameLength).toArray(JAVA_BYTE);
        return new Dirent64(buffer.get(JAVA_LONG_UNALIGNED, at + INO), buffer.get(JAVA_LONG_UNALIGNED, at + OFF),
                length, Byte.toUnsignedInt(buffer.get(JAVA_BYTE, at + TYPE)), name);
    }

    public String nameString() {
        return new String(name, StandardCharsets.UTF_8);
    }
}
