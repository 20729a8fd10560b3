package dev.flint.vmm.devices;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * An MMIO byte the guest writes one value to, to tell the host something; the host runs its
 * handler on the vCPU thread that wrote it.
 * <ul>
 * <li>{@link #BOOTED} at {@link #BOOT_ADDRESS}: Flint's init has started ({@code devmem
 * 0xc0000000 8 123}); the host timestamps it, which splits boot time into "VMM and kernel" and
 * "userspace".</li>
 * <li>{@link #POWERING_OFF} at {@link #POWER_OFF_ADDRESS}: the guest's init powers off next
 * ({@code devmem 0xc0000008 8 15}, then {@code reboot(2)}, which resets through the i8042 under
 * {@code reboot=k}). It is how the VMM tells a power-off from a crash: a kernel panic (with
 * {@code panic=-1}) resets through the same i8042 port at once, and a microVM has no pvpanic
 * device to say so (Linux finds one only through ACPI or a device tree, neither of which a
 * Flint guest has). A reset this byte did not announce is a crash.</li>
 * <li>{@link #AGENT_LISTENING} at {@link #AGENT_ADDRESS}: the guest agent listens on its vsock
 * port ({@code devmem 0xc0000010 8 65}, right after {@code listen(2)}), so the host connects once
 * instead of polling a port that refuses until then.</li>
 * </ul>
 * Each remembers whether its value was written ({@link #seen}), which a snapshot saves: a guest
 * restored after it announced its power-off still powers off, not crashes.
 */
public final class GuestSignal implements BusDevice {
    public static final long BOOT_ADDRESS = 0xc000_0000L;
    public static final int BOOTED = 123;
    public static final long POWER_OFF_ADDRESS = BOOT_ADDRESS + 8;
    public static final int POWERING_OFF = 15;
    public static final long AGENT_ADDRESS = BOOT_ADDRESS + 16;
    public static final int AGENT_LISTENING = 65;

    private final int value;
    private final Runnable onSignal;
    private volatile boolean seen;

    /** {@code onSignal} runs on each write of {@code value} to the byte at offset 0. */
    public GuestSignal(int value, Runnable onSignal) {
        this.value = value;
        this.onSignal = onSignal;
    }

    @Override
    public void read(long offset, MemorySegment data) {
        data.fill((byte) 0);
    }

    @Override
    public void write(long offset, MemorySegment data) {
        if (offset == 0 && data.byteSize() >= 1 && Byte.toUnsignedInt(data.get(JAVA_BYTE, 0)) == value) {
            seen = true;
            onSignal.run();
        }
    }

    /** Whether the guest has written the value (since the VM was made or restored with it seen). */
    public boolean seen() {
        return seen;
    }

    public GuestSignalState captureState() {
        return new GuestSignalState(seen);
    }

    /** Takes a saved state; the handler does not run again (the guest wrote before the snapshot). */
    public void applyState(GuestSignalState state) {
        seen = state.seen();
    }
}
