package dev.flint.vmm.devices;

import dev.flint.vmm.snapshot.SnapshotException;
import dev.flint.vmm.snapshot.StateInput;
import dev.flint.vmm.snapshot.StateOutput;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The UART and the guest-signal bytes saved and restored into new devices. */
class LegacyDeviceStateTest {
    private final Arena arena = Arena.ofAuto();

    private static void out(BusDevice device, int register, int value) {
        MemorySegment b = Arena.ofAuto().allocate(1);
        b.set(JAVA_BYTE, 0, (byte) value);
        device.write(register, b);
    }

    private int in(BusDevice device, int register) {
        MemorySegment b = arena.allocate(1);
        device.read(register, b);
        return Byte.toUnsignedInt(b.get(JAVA_BYTE, 0));
    }

    private static byte[] saved(Serial8250 uart) {
        StateOutput out = new StateOutput();
        uart.captureState().write(out);
        return out.toByteArray();
    }

    @Test
    void aRestoredUartHasTheRegistersTheDivisorAndTheUnreadInput() throws SnapshotException {
        Serial8250 before = new Serial8250(new ByteArrayOutputStream(), () -> { });
        out(before, Serial8250.LCR, Serial8250.LCR_DLAB);
        out(before, Serial8250.DATA, 0x01);
        out(before, Serial8250.IER, 0x00);
        out(before, Serial8250.LCR, 0x03);
        out(before, Serial8250.IIR_FCR, Serial8250.FCR_FIFO_ENABLE);
        out(before, Serial8250.MCR, 0x0b);
        out(before, Serial8250.SCR, 0x5a);
        out(before, Serial8250.IER, Serial8250.IER_RX_DATA);
        before.receive("hey".getBytes());
        assertEquals('h', in(before, Serial8250.DATA));

        AtomicInteger interrupts = new AtomicInteger();
        Serial8250 after = new Serial8250(new ByteArrayOutputStream(), interrupts::incrementAndGet);
        StateInput input = new StateInput(saved(before), "serial");
        after.applyState(Serial8250State.read(input));
        input.expectEnd();

        assertEquals(1, interrupts.get(), "unread input with the rx interrupt enabled raises it again");
        assertEquals(0x03, in(after, Serial8250.LCR));
        assertEquals(0x0b, in(after, Serial8250.MCR));
        assertEquals(0x5a, in(after, Serial8250.SCR));
        assertEquals(Serial8250.IIR_FIFO_ENABLED | Serial8250.IIR_RX_DATA, in(after, Serial8250.IIR_FCR));
        assertEquals('e', in(after, Serial8250.DATA));
        assertEquals('y', in(after, Serial8250.DATA));
        assertEquals(0, in(after, Serial8250.LSR) & Serial8250.LSR_DATA_READY);
        out(after, Serial8250.LCR, Serial8250.LCR_DLAB);
        assertEquals(0x01, in(after, Serial8250.DATA), "divisor latch low");
        assertArrayEquals(saved(before), saved(before), "capturing does not change the state");
    }

    @Test
    void aPendingThrEmptyInterruptSurvivesAndIsRaisedAgain() throws SnapshotException {
        Serial8250 before = new Serial8250(new ByteArrayOutputStream(), () -> { });
        out(before, Serial8250.IER, Serial8250.IER_THR_EMPTY);
        AtomicInteger interrupts = new AtomicInteger();
        Serial8250 after = new Serial8250(new ByteArrayOutputStream(), interrupts::incrementAndGet);
        after.applyState(Serial8250State.read(new StateInput(saved(before), "serial")));
        assertEquals(1, interrupts.get());
        assertEquals(Serial8250.IIR_THR_EMPTY, in(after, Serial8250.IIR_FCR));
        assertEquals(Serial8250.IIR_NONE, in(after, Serial8250.IIR_FCR));
    }

    @Test
    void anIdleUartRaisesNothingAfterRestore() throws SnapshotException {
        AtomicInteger interrupts = new AtomicInteger();
        Serial8250 after = new Serial8250(new ByteArrayOutputStream(), interrupts::incrementAndGet);
        after.applyState(Serial8250State.read(new StateInput(saved(new Serial8250(new ByteArrayOutputStream(), () -> { })), "serial")));
        assertEquals(0, interrupts.get());
    }

    @Test
    void aTruncatedOrOversizedUartStateIsRefused() {
        byte[] state = saved(new Serial8250(new ByteArrayOutputStream(), () -> { }));
        byte[] truncated = java.util.Arrays.copyOf(state, state.length - 2);
        assertThrows(SnapshotException.class, () -> Serial8250State.read(new StateInput(truncated, "serial")));
        StateOutput huge = new StateOutput();
        for (int i = 0; i < 7; i++) {
            huge.writeByte(0);
        }
        huge.writeBoolean(false).writeInt(Serial8250State.MAX_INPUT + 1);
        SnapshotException e = assertThrows(SnapshotException.class,
                () -> Serial8250State.read(new StateInput(huge.toByteArray(), "serial")));
        assertTrue(e.getMessage().contains("serial"), e.getMessage());
    }

    @Test
    void aGuestSignalRemembersItWasSeenAndDoesNotRunItsHandlerAgain() throws SnapshotException {
        AtomicInteger before = new AtomicInteger();
        GuestSignal signal = new GuestSignal(GuestSignal.POWERING_OFF, before::incrementAndGet);
        assertFalse(signal.seen());
        out(signal, 0, GuestSignal.POWERING_OFF);
        assertTrue(signal.seen());
        StateOutput out = new StateOutput();
        signal.captureState().write(out);

        AtomicInteger after = new AtomicInteger();
        GuestSignal restored = new GuestSignal(GuestSignal.POWERING_OFF, after::incrementAndGet);
        restored.applyState(GuestSignalState.read(new StateInput(out.toByteArray(), "power-off signal")));
        assertTrue(restored.seen());
        assertEquals(0, after.get());
        assertThrows(SnapshotException.class, () -> GuestSignalState.read(new StateInput(new byte[] {2}, "signal")));
    }
}
