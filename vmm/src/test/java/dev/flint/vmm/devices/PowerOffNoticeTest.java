package dev.flint.vmm.devices;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;

class PowerOffNoticeTest {
    private final Arena arena = Arena.ofAuto();
    private final AtomicInteger notices = new AtomicInteger();
    private final Bus bus = new Bus("MMIO");

    PowerOffNoticeTest() {
        bus.register(BootMarker.ADDRESS, 8, new BootMarker(now -> { }));
        bus.register(PowerOffNotice.ADDRESS, 8, new PowerOffNotice(notices::incrementAndGet));
    }

    private void write(long address, int value) {
        MemorySegment b = arena.allocate(1);
        b.set(JAVA_BYTE, 0, (byte) value);
        bus.write(address, b);
    }

    @Test
    void theMagicByteAtItsAddressIsANotice() {
        write(0xc000_0008L, 15);
        assertEquals(1, notices.get());
    }

    @Test
    void theBootMarkerOtherValuesAndOtherOffsetsAreNot() {
        write(BootMarker.ADDRESS, BootMarker.MAGIC);
        write(BootMarker.ADDRESS, PowerOffNotice.MAGIC);   // the boot marker's byte, not the notice's
        write(PowerOffNotice.ADDRESS, BootMarker.MAGIC);
        write(PowerOffNotice.ADDRESS, 0);
        write(PowerOffNotice.ADDRESS + 1, PowerOffNotice.MAGIC);
        assertEquals(0, notices.get());
    }
}
