package dev.flint.vmm.devices;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GuestSignalTest {
    private final Arena arena = Arena.ofAuto();
    private final AtomicInteger notices = new AtomicInteger();
    private final AtomicInteger agentNotices = new AtomicInteger();
    private final GuestSignal agent = new GuestSignal(GuestSignal.AGENT_LISTENING, agentNotices::incrementAndGet);
    private final Bus bus = new Bus("MMIO");

    GuestSignalTest() {
        bus.register(GuestSignal.BOOT_ADDRESS, 8, new GuestSignal(GuestSignal.BOOTED, () -> { }));
        bus.register(GuestSignal.POWER_OFF_ADDRESS, 8, new GuestSignal(GuestSignal.POWERING_OFF, notices::incrementAndGet));
        bus.register(GuestSignal.AGENT_ADDRESS, 8, agent);
    }

    private void write(long address, int value) {
        MemorySegment b = arena.allocate(1);
        b.set(JAVA_BYTE, 0, (byte) value);
        bus.write(address, b);
    }

    @Test
    void thePowerOffByteAtItsAddressIsANotice() {
        write(0xc000_0008L, 15);
        assertEquals(1, notices.get());
    }

    @Test
    void theBootMarkerOtherValuesAndOtherOffsetsAreNot() {
        write(GuestSignal.BOOT_ADDRESS, GuestSignal.BOOTED);
        write(GuestSignal.BOOT_ADDRESS, GuestSignal.POWERING_OFF);   // the boot marker's byte, not the notice's
        write(GuestSignal.POWER_OFF_ADDRESS, GuestSignal.BOOTED);
        write(GuestSignal.POWER_OFF_ADDRESS, 0);
        write(GuestSignal.POWER_OFF_ADDRESS + 1, GuestSignal.POWERING_OFF);
        assertEquals(0, notices.get());
    }

    @Test
    void theAgentListeningByteAtItsAddressIsItsOwnNotice() {
        write(0xc000_0010L, 65);   // what the agent writes through /dev/mem after listen(2)
        assertEquals(1, agentNotices.get());
        assertTrue(agent.seen());
        assertEquals(0, notices.get());
    }

    @Test
    void theAgentSignalIgnoresTheOtherSignalsBytesAndOffsets() {
        write(GuestSignal.AGENT_ADDRESS, GuestSignal.BOOTED);
        write(GuestSignal.AGENT_ADDRESS, GuestSignal.POWERING_OFF);
        write(GuestSignal.AGENT_ADDRESS + 1, GuestSignal.AGENT_LISTENING);
        write(GuestSignal.BOOT_ADDRESS, GuestSignal.AGENT_LISTENING);
        write(GuestSignal.POWER_OFF_ADDRESS, GuestSignal.AGENT_LISTENING);
        assertEquals(0, agentNotices.get());
        assertFalse(agent.seen());
    }
}
