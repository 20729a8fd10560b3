package dev.flint.vmm.devices;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BusTest {
    private final Arena arena = Arena.ofAuto();

    private MemorySegment byteOf(int value) {
        MemorySegment b = arena.allocate(1);
        b.set(JAVA_BYTE, 0, (byte) value);
        return b;
    }

    @Test
    void dispatchesByRangeWithRelativeOffsets() {
        List<Long> offsets = new ArrayList<>();
        Bus bus = new Bus("test");
        bus.register(0x3f8, 8, new BusDevice() {
            @Override
            public void read(long offset, MemorySegment data) {
                offsets.add(offset);
                data.set(JAVA_BYTE, 0, (byte) 0x42);
            }

            @Override
            public void write(long offset, MemorySegment data) {
                offsets.add(offset);
            }
        });
        MemorySegment b = arena.allocate(1);
        assertTrue(bus.read(0x3fd, b));
        assertEquals(0x42, b.get(JAVA_BYTE, 0));
        assertTrue(bus.write(0x3f8, byteOf(1)));
        assertEquals(List.of(5L, 0L), offsets);
    }

    @Test
    void unclaimedReadsReturnOnesAndAreCounted() {
        Bus bus = new Bus("test");
        MemorySegment b = arena.allocate(2);
        assertFalse(bus.read(0x80, b));
        assertFalse(bus.write(0x80, byteOf(1)));
        assertEquals((byte) 0xff, b.get(JAVA_BYTE, 1));
        assertEquals(2, bus.unclaimedAccesses());
    }

    @Test
    void overlappingRangesAreRejected() {
        Bus bus = new Bus("test");
        bus.register(0x60, 5, new I8042(() -> { }));
        var e = assertThrows(IllegalArgumentException.class, () -> bus.register(0x64, 1, new I8042(() -> { })));
        assertTrue(e.getMessage().contains("overlaps"), e.getMessage());
        bus.register(0x65, 1, new I8042(() -> { }));
        assertThrows(IllegalArgumentException.class, () -> bus.register(0x70, 0, new I8042(() -> { })));
    }

    @Test
    void i8042ResetCommandEndsTheVmAndOtherWritesDoNot() {
        AtomicInteger resets = new AtomicInteger();
        I8042 i8042 = new I8042(resets::incrementAndGet);
        i8042.write(0, byteOf(0xfe));
        i8042.write(4, byteOf(0xd1));
        assertEquals(0, resets.get());
        i8042.write(4, byteOf(0xfe));
        assertEquals(1, resets.get());
        MemorySegment status = arena.allocate(1);
        i8042.read(4, status);
        assertEquals(0, status.get(JAVA_BYTE, 0), "input buffer empty, so the guest's reset loop proceeds");
    }

    @Test
    void bootMarkerTimestampsOnlyTheMagicByte() {
        AtomicLong stamp = new AtomicLong(-1);
        GuestSignal marker = new GuestSignal(GuestSignal.BOOTED, () -> stamp.set(System.nanoTime()));
        marker.write(0, byteOf(7));
        assertEquals(-1, stamp.get());
        long before = System.nanoTime();
        marker.write(0, byteOf(GuestSignal.BOOTED));
        assertTrue(stamp.get() >= before);
    }

    @Test
    void countsUnclaimedAccessesFromConcurrentVcpusWithoutLosingAny() throws Exception {
        Bus bus = new Bus("smp");
        int perThread = 20_000;
        List<Thread> vcpus = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            vcpus.add(Thread.ofPlatform().start(() -> {
                MemorySegment data = Arena.ofAuto().allocate(1);
                for (int n = 0; n < perThread; n++) {
                    bus.write(0x1234, data);
                }
            }));
        }
        for (Thread vcpu : vcpus) {
            vcpu.join();
        }
        assertEquals(4L * perThread, bus.unclaimedAccesses());
    }
}
