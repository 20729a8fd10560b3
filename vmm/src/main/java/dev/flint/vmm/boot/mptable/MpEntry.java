package dev.flint.vmm.boot.mptable;

import java.nio.ByteBuffer;

/**
 * One entry of the MP configuration table's base section (MultiProcessor Specification 1.4,
 * section 4.3): a type byte, then a fixed layout per type.
 */
public sealed interface MpEntry permits ProcessorEntry, BusEntry, IoApicEntry, IoInterruptEntry, LocalInterruptEntry {
    /** The entry's type code, its first byte. */
    int type();

    /** Bytes the entry takes: 20 for a processor, 8 for every other type. */
    int length();

    /** Appends the entry's {@link #length()} bytes to {@code out} (little-endian). */
    void encodeTo(ByteBuffer out);
}
