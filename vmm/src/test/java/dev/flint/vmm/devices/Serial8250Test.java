package dev.flint.vmm.devices;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Drives the UART the way Linux's 8250 driver does, one register access at a time. */
class Serial8250Test {
    private final ByteArrayOutputStream console = new ByteArrayOutputStream();
    private final AtomicInteger interrupts = new AtomicInteger();
    private final Serial8250 uart = new Serial8250(console, interrupts::incrementAndGet);
    private final Arena arena = Arena.ofAuto();

    private void out(int register, int value) {
        MemorySegment b = arena.allocate(1);
        b.set(JAVA_BYTE, 0, (byte) value);
        uart.write(register, b);
    }

    private int in(int register) {
        MemorySegment b = arena.allocate(1);
        uart.read(register, b);
        return Byte.toUnsignedInt(b.get(JAVA_BYTE, 0));
    }

    @Test
    void transmittedBytesReachTheConsole() {
        out(Serial8250.DATA, 'o');
        out(Serial8250.DATA, 'k');
        assertEquals("ok", console.toString());
        assertEquals(0x60, in(Serial8250.LSR) & 0x60, "THR and transmitter always empty");
    }

    @Test
    void enablingTheThrEmptyInterruptRaisesOneAtOnce() {
        out(Serial8250.IER, Serial8250.IER_THR_EMPTY);
        assertEquals(1, interrupts.get());
        assertEquals(Serial8250.IIR_THR_EMPTY, in(Serial8250.IIR_FCR));
        assertEquals(Serial8250.IIR_NONE, in(Serial8250.IIR_FCR), "reading IIR acknowledges THR empty");
    }

    @Test
    void everyTransmitRaisesThrEmptyWhileEnabled() {
        out(Serial8250.IER, Serial8250.IER_THR_EMPTY);
        in(Serial8250.IIR_FCR);
        out(Serial8250.DATA, 'a');
        out(Serial8250.DATA, 'b');
        assertEquals(3, interrupts.get());
        assertEquals(Serial8250.IIR_THR_EMPTY, in(Serial8250.IIR_FCR));
    }

    @Test
    void noInterruptWhenDisabled() {
        out(Serial8250.DATA, 'x');
        assertEquals(0, interrupts.get());
        assertEquals(Serial8250.IIR_NONE, in(Serial8250.IIR_FCR));
    }

    @Test
    void receivedBytesAreReadableAndInterruptWhenEnabled() {
        out(Serial8250.IER, Serial8250.IER_RX_DATA);
        uart.receive("hi".getBytes());
        assertEquals(1, interrupts.get());
        assertEquals(Serial8250.LSR_DATA_READY, in(Serial8250.LSR) & 1);
        assertEquals(Serial8250.IIR_RX_DATA, in(Serial8250.IIR_FCR));
        assertEquals('h', in(Serial8250.DATA));
        assertEquals('i', in(Serial8250.DATA));
        assertEquals(0, in(Serial8250.LSR) & 1);
    }

    @Test
    void loopbackPassesTheDriversProbe() {
        out(Serial8250.MCR, Serial8250.MCR_LOOPBACK | 0x0a);
        assertEquals(0x90, in(Serial8250.MSR) & 0xf0);
        out(Serial8250.DATA, 'z');
        assertEquals("", console.toString(), "loopback bytes do not leave the UART");
        assertEquals('z', in(Serial8250.DATA));
        out(Serial8250.MCR, 0);
        assertEquals(Serial8250.MSR_DEFAULT, in(Serial8250.MSR));
    }

    @Test
    void divisorLatchAndScratchRegistersHoldTheirValues() {
        out(Serial8250.LCR, Serial8250.LCR_DLAB);
        out(Serial8250.DATA, 0x01);
        out(Serial8250.IER, 0x02);
        assertEquals(0x01, in(Serial8250.DATA));
        assertEquals(0x02, in(Serial8250.IER));
        out(Serial8250.LCR, 0x03);
        assertEquals(0, in(Serial8250.IER), "IER untouched by divisor writes");
        assertEquals(0, interrupts.get());
        out(Serial8250.SCR, 0x5a);
        assertEquals(0x5a, in(Serial8250.SCR));
        out(Serial8250.IIR_FCR, Serial8250.FCR_FIFO_ENABLE);
        assertEquals(0xc1, in(Serial8250.IIR_FCR));
    }
}
