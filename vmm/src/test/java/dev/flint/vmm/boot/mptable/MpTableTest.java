package dev.flint.vmm.boot.mptable;

import dev.flint.vmm.boot.BootLayout;
import dev.flint.vmm.boot.E820Entry;
import dev.flint.vmm.memory.GuestMemory;
import dev.flint.vmm.memory.MemoryRange;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The MP table's bytes, as the MultiProcessor Specification 1.4 and Linux's mpparse.c read them. */
class MpTableTest {
    private static final int SIGNATURE = 0x00a00f11;
    private static final int FEATURES = 0x178bfbff;
    private static final long AT = BootLayout.MP_TABLE_ADDRESS;

    private static ByteBuffer le(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static int sum(byte[] bytes, int from, int to) {
        int sum = 0;
        for (int i = from; i < to; i++) {
            sum += bytes[i] & 0xff;
        }
        return sum & 0xff;
    }

    private static byte[] copy(byte[] bytes, int from) {
        return Arrays.copyOfRange(bytes, from, from + 8);
    }

    private static String ascii(byte[] bytes, int from, int length) {
        return new String(bytes, from, length, StandardCharsets.US_ASCII);
    }

    @Test
    void floatingPointerPointsAtTheConfigTableAndSumsToZero() {
        byte[] bytes = MpTable.forMachine(2, SIGNATURE, FEATURES, List.of()).encode(AT);
        ByteBuffer b = le(bytes);
        assertEquals("_MP_", ascii(bytes, 0, 4));
        assertEquals(AT + 16, Integer.toUnsignedLong(b.getInt(4)), "physical address pointer");
        assertEquals(1, bytes[8], "length in 16-byte paragraphs");
        assertEquals(4, bytes[9], "spec revision 1.4");
        assertEquals(0, sum(bytes, 0, 16), "floating pointer checksum");
        for (int i = 11; i < 16; i++) {
            assertEquals(0, bytes[i], "feature byte " + (i - 10) + ": table present, virtual-wire mode");
        }
    }

    @Test
    void headerDescribesTheBaseTableAndSumsToZeroWithItsEntries() {
        MpTable table = MpTable.forMachine(2, SIGNATURE, FEATURES, List.of());
        byte[] bytes = table.encode(AT);
        ByteBuffer b = le(bytes);
        int h = 16;
        assertEquals("PCMP", ascii(bytes, h, 4));
        int baseLength = Short.toUnsignedInt(b.getShort(h + 4));
        assertEquals(bytes.length - 16, baseLength, "base table length covers header and entries");
        assertEquals(4, bytes[h + 6], "spec revision");
        assertEquals(0, sum(bytes, h, h + baseLength), "configuration table checksum");
        assertEquals("FLINT   ", ascii(bytes, h + 8, 8));
        assertEquals("MICROVM     ", ascii(bytes, h + 16, 12));
        assertEquals(0, b.getInt(h + 28), "no OEM table");
        assertEquals(0, b.getShort(h + 32), "no OEM table size");
        assertEquals(table.entries().size(), Short.toUnsignedInt(b.getShort(h + 34)), "entry count");
        assertEquals(0xfee00000L, Integer.toUnsignedLong(b.getInt(h + 36)), "local APIC address");
        assertEquals(0, b.getShort(h + 40), "no extended table");
        assertEquals(0, bytes[h + 42]);
    }

    @Test
    void oneVcpuWithoutDevicesHasTheMinimalEntrySet() {
        MpTable table = MpTable.forMachine(1, SIGNATURE, FEATURES, List.of());
        // 1 processor + ISA bus + IOAPIC + 16 ISA IRQs + ExtINT + NMI
        assertEquals(1 + 1 + 1 + 16 + 2, table.entries().size());
        assertEquals(16 + 44 + 20 + 8 + 8 + 16 * 8 + 2 * 8, table.size());
        assertEquals(table.size(), table.encode(AT).length);
    }

    @Test
    void processorEntriesHaveApicIdEnabledAndBspOnlyOnVcpuZero() {
        byte[] bytes = MpTable.forMachine(4, SIGNATURE, FEATURES, List.of()).encode(AT);
        ByteBuffer b = le(bytes);
        for (int cpu = 0; cpu < 4; cpu++) {
            int at = 16 + 44 + cpu * 20;
            assertEquals(0, bytes[at], "processor entry type");
            assertEquals(cpu, bytes[at + 1], "local APIC id = vCPU index");
            assertEquals(0x14, bytes[at + 2], "local APIC version");
            assertEquals(cpu == 0 ? 0b11 : 0b01, bytes[at + 3], "enabled, BSP flag on vCPU 0 only");
            assertEquals(SIGNATURE, b.getInt(at + 4), "CPU signature from CPUID leaf 1 EAX");
            assertEquals(FEATURES, b.getInt(at + 8), "feature flags from CPUID leaf 1 EDX");
            assertEquals(0L, b.getLong(at + 12), "reserved");
        }
    }

    @Test
    void busAndIoApicEntriesFollowTheProcessors() {
        byte[] bytes = MpTable.forMachine(4, SIGNATURE, FEATURES, List.of()).encode(AT);
        int bus = 16 + 44 + 4 * 20;
        assertArrayEquals(HexFormat.of().parseHex("0100495341202020"), copy(bytes, bus),
                "bus entry: type 1, id 0, \"ISA   \"");
        int ioApic = bus + 8;
        assertArrayEquals(HexFormat.of().parseHex("02041101" + "0000c0fe"),
                copy(bytes, ioApic),
                "IOAPIC entry: type 2, id = cpus (4), version 0x11, enabled, at 0xfec00000");
    }

    @Test
    void isaIrqsMapOneToOneOntoIoApicPins() {
        MpTable table = MpTable.forMachine(2, SIGNATURE, FEATURES, List.of());
        List<IoInterruptEntry> irqs = table.entries().stream().filter(IoInterruptEntry.class::isInstance)
                .map(IoInterruptEntry.class::cast).toList();
        assertEquals(16, irqs.size());
        for (int irq = 0; irq < 16; irq++) {
            assertEquals(new IoInterruptEntry(InterruptType.INT, 0, irq, 2, irq), irqs.get(irq));
        }
        byte[] bytes = table.encode(AT);
        int first = 16 + 44 + 2 * 20 + 8 + 8;
        assertArrayEquals(HexFormat.of().parseHex("0300000000000200"), copy(bytes, first),
                "IRQ 0: type 3, INT, conforms to bus, ISA bus, IRQ 0, IOAPIC 2, pin 0");
        int irq9 = first + 9 * 8;
        assertArrayEquals(HexFormat.of().parseHex("0300000000090209"), copy(bytes, irq9));
    }

    @Test
    void everyDeviceGsiAboveTheIsaRangeGetsAnIoApicPin() {
        List<Integer> gsis = IntStream.rangeClosed(5, 23).boxed().toList();
        MpTable table = MpTable.forMachine(2, SIGNATURE, FEATURES, gsis);
        List<Integer> pins = table.entries().stream().filter(IoInterruptEntry.class::isInstance)
                .map(e -> ((IoInterruptEntry) e).ioApicPin()).toList();
        assertEquals(IntStream.range(0, 24).boxed().toList(), pins, "ISA 0-15 once each, then 16-23");

        MpTable fewDevices = MpTable.forMachine(2, SIGNATURE, FEATURES, List.of(5, 6, 7));
        assertEquals(16, fewDevices.entries().stream().filter(IoInterruptEntry.class::isInstance).count(),
                "GSIs 5-7 are ISA IRQs already listed");
        MpTable oneHigh = MpTable.forMachine(2, SIGNATURE, FEATURES, List.of(17));
        assertEquals(17, oneHigh.entries().stream().filter(IoInterruptEntry.class::isInstance).count());
    }

    @Test
    void localInterruptsWireLint0ToExtIntAndLint1ToNmi() {
        byte[] bytes = MpTable.forMachine(2, SIGNATURE, FEATURES, List.of()).encode(AT);
        int last = bytes.length - 16;
        assertArrayEquals(HexFormat.of().parseHex("0403000000000000"), copy(bytes, last),
                "type 4, ExtINT, ISA IRQ 0, to the BSP's LINT0");
        assertArrayEquals(HexFormat.of().parseHex("04010000" + "0000ff01"), copy(bytes, last + 8),
                "type 4, NMI, to every local APIC's LINT1");
    }

    @Test
    void rejectsImpossibleMachines() {
        assertThrows(IllegalArgumentException.class, () -> MpTable.forMachine(0, SIGNATURE, FEATURES, List.of()));
        assertThrows(IllegalArgumentException.class, () -> MpTable.forMachine(255, SIGNATURE, FEATURES, List.of()));
        var e = assertThrows(IllegalArgumentException.class, () -> MpTable.forMachine(1, SIGNATURE, FEATURES, List.of(24)));
        assertTrue(e.getMessage().contains("GSI 24"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new BusEntry(0, "TOOLONGX"));
        assertThrows(IllegalArgumentException.class, () -> new LocalInterruptEntry(InterruptType.NMI, 0, 0, 0, 2));
    }

    @Test
    void largestTableStaysInTheReservedAreaClearOfTheOtherBootStructures() {
        MpTable largest = MpTable.forMachine(254, SIGNATURE, FEATURES, IntStream.rangeClosed(5, 23).boxed().toList());
        MemoryRange range = largest.range();
        assertEquals(16 + 44 + 254 * 20 + 8 + 8 + 24 * 8 + 2 * 8, range.size());
        assertEquals(0, sum(largest.encode(AT), 16, (int) range.size()), "checksum holds at any size");
        List<MemoryRange> others = List.of(
                new MemoryRange(BootLayout.GDT_ADDRESS, 0x40),
                new MemoryRange(BootLayout.ZERO_PAGE_ADDRESS, 4096),
                new MemoryRange(BootLayout.BOOT_STACK_POINTER - 0x1000, 0x1000),
                new MemoryRange(BootLayout.PML4_ADDRESS, 3 * 4096),
                new MemoryRange(BootLayout.CMDLINE_ADDRESS, 0x10000),
                new MemoryRange(BootLayout.HIMEM_START, 64L << 20));
        for (MemoryRange other : others) {
            assertFalse(range.start() < other.end() && other.start() < range.end(),
                    "MP table " + range + " overlaps " + other);
        }
        assertTrue(range.start() >= BootLayout.EBDA_START && range.end() <= BootLayout.HIMEM_START);
    }

    @Test
    void writesWhereTheE820MapReservesAndNowhereElse() {
        GuestMemory memory = GuestMemory.onHeap(List.of(new MemoryRange(0, 2L << 20)));
        MpTable table = MpTable.forMachine(2, SIGNATURE, FEATURES, List.of());
        List<E820Entry> e820 = E820Entry.mapFor(memory);
        MemoryRange written = table.write(memory, e820);
        assertEquals(AT, written.start());
        assertArrayEquals(table.encode(AT), memory.read(AT, table.size()));
        assertTrue(e820.stream().anyMatch(e -> e.type() == E820Entry.RESERVED && e.address() <= AT
                && written.end() <= e.end()));

        List<E820Entry> allRam = List.of(new E820Entry(0, 2L << 20, E820Entry.RAM));
        var e = assertThrows(IllegalStateException.class, () -> table.write(memory, allRam));
        assertTrue(e.getMessage().contains("reserved"), e.getMessage());
    }
}
