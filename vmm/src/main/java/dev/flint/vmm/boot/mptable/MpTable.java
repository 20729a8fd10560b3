package dev.flint.vmm.boot.mptable;

import dev.flint.vmm.boot.BootLayout;
import dev.flint.vmm.boot.E820Entry;
import dev.flint.vmm.cpu.CpuTopology;
import dev.flint.vmm.memory.GuestMemory;
import dev.flint.vmm.memory.MemoryRange;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;

/**
 * The Intel MultiProcessor Specification 1.4 table that tells a guest without ACPI how many CPUs
 * it has and how interrupts reach them: floating pointer, configuration table header, then one
 * processor entry per vCPU, the ISA bus, KVM's IOAPIC, the IOAPIC pins of ISA IRQs 0-15 and of
 * every device GSI, and the LINT0 (ExtINT) / LINT1 (NMI) wiring.
 *
 * <p>It lives at {@link BootLayout#MP_TABLE_ADDRESS}, the last KiB of base memory, which the e820
 * map reports reserved together with the BIOS area up to 1 MiB.
 */
public final class MpTable {
    public static final int SPEC_REVISION = 4;
    public static final long LOCAL_APIC_ADDRESS = 0xfee0_0000L;
    public static final long IO_APIC_ADDRESS = 0xfec0_0000L;
    /** The version KVM's in-kernel IOAPIC reports. */
    public static final int IO_APIC_VERSION = 0x11;
    /** Redirection entries of KVM's IOAPIC: GSIs 0-23. */
    public static final int IO_APIC_PINS = 24;
    public static final int ISA_IRQS = 16;
    public static final int ISA_BUS_ID = 0;
    /** xAPIC ids are 8 bits and 0xff is broadcast; the IOAPIC takes the id after the last CPU. */
    public static final int MAX_CPUS = CpuTopology.MAX_CPUS;

    private final List<MpEntry> entries;

    private MpTable(List<MpEntry> entries) {
        this.entries = List.copyOf(entries);
    }

    /**
     * The table for {@code cpuCount} vCPUs with APIC ids 0..cpuCount-1 (vCPU 0 boots), whose
     * CPUID leaf 1 gives {@code cpuSignature} (EAX) and {@code cpuFeatures} (EDX), and devices
     * raising {@code deviceGsis} (GSIs below 16 are already among the ISA IRQs).
     */
    public static MpTable forMachine(int cpuCount, int cpuSignature, int cpuFeatures, Collection<Integer> deviceGsis) {
        if (cpuCount < 1 || cpuCount > MAX_CPUS) {
            throw new IllegalArgumentException("an MP table describes 1 to " + MAX_CPUS + " CPUs, got " + cpuCount);
        }
        TreeSet<Integer> ioApicPins = new TreeSet<>();
        for (int irq = 0; irq < ISA_IRQS; irq++) {
            ioApicPins.add(irq);
        }
        for (int gsi : deviceGsis) {
            if (gsi < 0 || gsi >= IO_APIC_PINS) {
                throw new IllegalArgumentException("device GSI " + gsi + " has no IOAPIC pin (pins are 0-"
                        + (IO_APIC_PINS - 1) + "); attach fewer devices");
            }
            ioApicPins.add(gsi);
        }
        int ioApicId = cpuCount;
        List<MpEntry> entries = new ArrayList<>();
        for (int apicId = 0; apicId < cpuCount; apicId++) {
            entries.add(new ProcessorEntry(apicId, apicId == 0, cpuSignature, cpuFeatures));
        }
        entries.add(new BusEntry(ISA_BUS_ID, BusEntry.ISA));
        entries.add(new IoApicEntry(ioApicId, IO_APIC_VERSION, IO_APIC_ADDRESS));
        // KVM's default routing sends GSI n to IOAPIC pin n (and to PIC pin n below 16): identity.
        for (int pin : ioApicPins) {
            entries.add(new IoInterruptEntry(InterruptType.INT, ISA_BUS_ID, pin, ioApicId, pin));
        }
        entries.add(new LocalInterruptEntry(InterruptType.EXTINT, ISA_BUS_ID, 0, 0, 0));
        entries.add(new LocalInterruptEntry(InterruptType.NMI, ISA_BUS_ID, 0, LocalInterruptEntry.ALL_LOCAL_APICS, 1));
        return new MpTable(entries);
    }

    /** The base-table entries in the order they are written: processors, bus, IOAPIC, interrupts. */
    public List<MpEntry> entries() {
        return entries;
    }

    /** Bytes from the floating pointer's first byte to the last entry's last. */
    public int size() {
        return MpFloatingPointer.LENGTH + baseTableLength();
    }

    private int baseTableLength() {
        return MpConfigTableHeader.LENGTH + entries.stream().mapToInt(MpEntry::length).sum();
    }

    /** The guest range the table takes when written at {@link BootLayout#MP_TABLE_ADDRESS}. */
    public MemoryRange range() {
        return new MemoryRange(BootLayout.MP_TABLE_ADDRESS, size());
    }

    /**
     * The table's bytes for guest-physical {@code address}: floating pointer there, configuration
     * table right after it; both checksums filled in.
     */
    public byte[] encode(long address) {
        ByteBuffer out = littleEndian(size());
        out.put(new MpFloatingPointer(address + MpFloatingPointer.LENGTH).encode());
        int tableStart = out.position();
        out.put(new MpConfigTableHeader(baseTableLength(), entries.size()).encode());
        for (MpEntry entry : entries) {
            int before = out.position();
            entry.encodeTo(out);
            if (out.position() - before != entry.length()) {
                throw new IllegalStateException(entry + " wrote " + (out.position() - before) + " bytes, not "
                        + entry.length());
            }
        }
        byte[] bytes = out.array();
        bytes[tableStart + MpConfigTableHeader.CHECKSUM_OFFSET] = checksum(bytes, tableStart, bytes.length);
        return bytes;
    }

    /**
     * Writes the table at {@link BootLayout#MP_TABLE_ADDRESS}, after checking that {@code e820}
     * (the map the guest gets) reserves that range: a guest that took it for RAM could overwrite
     * the table before reading it.
     */
    public MemoryRange write(GuestMemory memory, List<E820Entry> e820) {
        MemoryRange range = range();
        boolean reserved = e820.stream().anyMatch(e -> e.type() == E820Entry.RESERVED
                && e.address() <= range.start() && range.end() <= e.end());
        boolean overlapsRam = e820.stream().anyMatch(e -> e.type() == E820Entry.RAM
                && e.address() < range.end() && range.start() < e.end());
        if (!reserved || overlapsRam) {
            throw new IllegalStateException(String.format("the MP table at [0x%x, 0x%x) is not inside a reserved"
                    + " e820 range of %s; keep BootLayout.MP_TABLE_ADDRESS in the reserved EBDA/BIOS area",
                    range.start(), range.end(), e820));
        }
        memory.write(range.start(), encode(range.start()));
        return range;
    }

    /** The byte that makes {@code bytes[from, to)} sum to zero modulo 256. */
    static byte checksum(byte[] bytes, int from, int to) {
        int sum = 0;
        for (int i = from; i < to; i++) {
            sum += bytes[i];
        }
        return (byte) -sum;
    }

    static ByteBuffer littleEndian(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** {@code text} in ASCII, space-padded to {@code length} bytes. */
    static byte[] padded(String text, int length) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, (byte) ' ');
        byte[] ascii = text.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(ascii, 0, bytes, 0, Math.min(ascii.length, length));
        return bytes;
    }

    static void requireByte(String what, int value) {
        if (value < 0 || value > 0xff) {
            throw new IllegalArgumentException(what + " must fit one byte (0-255), got " + value);
        }
    }
}
