package dev.flint.vmm.devices;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * The i8042 keyboard controller, only as far as a guest booted with {@code reboot=k} needs: its
 * status reads "input buffer empty", and the CPU-reset command (0xFE on port 0x64) ends the VM.
 * Flint's guests power off this way, as Firecracker's do. It holds no state (its registers read
 * as constants), so a snapshot saves nothing for it: a restored VM makes a new one.
 */
public final class I8042 implements BusDevice {
    public static final int DATA_PORT = 0x60;
    public static final int COMMAND_PORT = 0x64;
    static final int CMD_RESET_CPU = 0xfe;

    private final Runnable onReset;

    /** {@code onReset} runs once per reset command, on the vCPU thread that wrote it. */
    public I8042(Runnable onReset) {
        this.onReset = onReset;
    }

    @Override
    public void read(long offset, MemorySegment data) {
        data.fill((byte) 0);
    }

    @Override
    public void write(long offset, MemorySegment data) {
        if (offset == COMMAND_PORT - DATA_PORT && Byte.toUnsignedInt(data.get(JAVA_BYTE, 0)) == CMD_RESET_CPU) {
            onReset.run();
        }
    }
}
