package dev.flint.vmm.devices;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * A 16550A UART, enough for Linux's 8250 driver: transmit with a working THR-empty interrupt
 * (without it userspace console output stalls; kernel printk polls and does not need it),
 * receive from the host, loopback for the driver's probe, and the divisor latch.
 */
public final class Serial8250 implements BusDevice {
    /** The COM1 port range. */
    public static final int COM1_BASE = 0x3f8;
    public static final int COM1_IRQ = 4;
    public static final int PORT_COUNT = 8;

    static final int DATA = 0;
    static final int IER = 1;
    static final int IIR_FCR = 2;
    static final int LCR = 3;
    static final int MCR = 4;
    static final int LSR = 5;
    static final int MSR = 6;
    static final int SCR = 7;

    static final int IER_RX_DATA = 0x01;
    static final int IER_THR_EMPTY = 0x02;
    static final int IIR_NONE = 0x01;
    static final int IIR_THR_EMPTY = 0x02;
    static final int IIR_RX_DATA = 0x04;
    static final int IIR_FIFO_ENABLED = 0xc0;
    static final int FCR_FIFO_ENABLE = 0x01;
    static final int LCR_DLAB = 0x80;
    static final int MCR_LOOPBACK = 0x10;
    static final int LSR_DATA_READY = 0x01;
    static final int LSR_THR_EMPTY = 0x20;
    static final int LSR_TRANSMITTER_EMPTY = 0x40;
    /** Carrier detect, data set ready, clear to send: a terminal is always there. */
    static final int MSR_DEFAULT = 0xb0;

    private final OutputStream console;
    private final InterruptLine irq;
    private final ArrayDeque<Byte> input = new ArrayDeque<>();
    private int ier;
    private int lcr;
    private int mcr;
    private int scr;
    private int fcr;
    private int divisorLow = 0x0c;
    private int divisorHigh;
    private boolean thrEmptyPending;

    /** A UART whose output goes to {@code console} and whose interrupts go to {@code irq}. */
    public Serial8250(OutputStream console, InterruptLine irq) {
        this.console = console;
        this.irq = irq;
    }

    @Override
    public synchronized void read(long offset, MemorySegment data) {
        data.fill((byte) 0);
        data.set(JAVA_BYTE, 0, (byte) readRegister((int) offset));
    }

    @Override
    public synchronized void write(long offset, MemorySegment data) {
        writeRegister((int) offset, Byte.toUnsignedInt(data.get(JAVA_BYTE, 0)));
    }

    /** Queues bytes the guest will read, as if typed on the terminal. */
    public synchronized void receive(byte[] bytes) {
        for (byte b : bytes) {
            input.add(b);
        }
        if (bytes.length > 0 && (ier & IER_RX_DATA) != 0) {
            irq.trigger();
        }
    }

    /** The UART's state, for a snapshot (taken with every vCPU parked). */
    public synchronized Serial8250State captureState() {
        byte[] unread = new byte[input.size()];
        int i = 0;
        for (byte b : input) {
            unread[i++] = b;
        }
        return new Serial8250State(ier, lcr, mcr, scr, fcr, divisorLow, divisorHigh, thrEmptyPending, unread);
    }

    /**
     * Takes a saved state, before any vCPU runs. An interrupt the guest had not yet taken is
     * raised again: the edge it saw before the snapshot is gone with the old interrupt line.
     */
    public synchronized void applyState(Serial8250State state) {
        ier = state.ier() & 0x0f;
        lcr = state.lcr();
        mcr = state.mcr();
        scr = state.scr();
        fcr = state.fcr();
        divisorLow = state.divisorLow();
        divisorHigh = state.divisorHigh();
        thrEmptyPending = state.thrEmptyPending();
        input.clear();
        for (byte b : state.input()) {
            input.add(b);
        }
        if ((interruptIdentification(false) & IIR_NONE) == 0) {
            irq.trigger();
        }
    }

    private boolean dlab() {
        return (lcr & LCR_DLAB) != 0;
    }

    private int readRegister(int offset) {
        return switch (offset) {
            case DATA -> dlab() ? divisorLow : (input.isEmpty() ? 0 : Byte.toUnsignedInt(input.poll()));
            case IER -> dlab() ? divisorHigh : ier;
            case IIR_FCR -> interruptIdentification(true);
            case LCR -> lcr;
            case MCR -> mcr;
            case LSR -> LSR_THR_EMPTY | LSR_TRANSMITTER_EMPTY | (input.isEmpty() ? 0 : LSR_DATA_READY);
            case MSR -> (mcr & MCR_LOOPBACK) != 0 ? loopbackModemStatus() : MSR_DEFAULT;
            case SCR -> scr;
            default -> 0xff;
        };
    }

    /** Reports the highest-priority pending interrupt; a guest's read ({@code acknowledge}) of a THR-empty report clears it. */
    private int interruptIdentification(boolean acknowledge) {
        int fifo = (fcr & FCR_FIFO_ENABLE) != 0 ? IIR_FIFO_ENABLED : 0;
        if ((ier & IER_RX_DATA) != 0 && !input.isEmpty()) {
            return fifo | IIR_RX_DATA;
        }
        if ((ier & IER_THR_EMPTY) != 0 && thrEmptyPending) {
            if (acknowledge) {
                thrEmptyPending = false;
            }
            return fifo | IIR_THR_EMPTY;
        }
        return fifo | IIR_NONE;
    }

    /** In loopback the modem outputs (DTR, RTS, OUT1, OUT2) read back as DSR, CTS, RI, DCD. */
    private int loopbackModemStatus() {
        return ((mcr & 0x02) << 3) | ((mcr & 0x01) << 5) | ((mcr & 0x04) << 4) | ((mcr & 0x08) << 4);
    }

    private void writeRegister(int offset, int value) {
        switch (offset) {
            case DATA -> {
                if (dlab()) {
                    divisorLow = value;
                } else {
                    transmit(value);
                }
            }
            case IER -> {
                if (dlab()) {
                    divisorHigh = value;
                } else {
                    boolean thrEnabledNow = (value & IER_THR_EMPTY) != 0 && (ier & IER_THR_EMPTY) == 0;
                    ier = value & 0x0f;
                    if (thrEnabledNow) {
                        // The transmitter is always empty: enabling its interrupt raises one at once.
                        thrEmptyPending = true;
                        irq.trigger();
                    }
                }
            }
            case IIR_FCR -> fcr = value;
            case LCR -> lcr = value;
            case MCR -> mcr = value;
            case SCR -> scr = value;
            default -> {
                // LSR and MSR are read-only.
            }
        }
    }

    private void transmit(int value) {
        if ((mcr & MCR_LOOPBACK) != 0) {
            input.add((byte) value);
        } else {
            try {
                console.write(value);
                if (value == '\n') {
                    console.flush();
                }
            } catch (IOException e) {
                throw new UncheckedIOException("guest console output failed", e);
            }
        }
        thrEmptyPending = true;
        if ((ier & IER_THR_EMPTY) != 0) {
            irq.trigger();
        }
    }
}
