package dev.flint.vmm.kvm;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

/**
 * Flyweight over a vCPU's mmapped {@code struct kvm_run}. The struct is mostly a union keyed by
 * {@code exit_reason}, so fields are read at their kernel offsets (pinned by {@code KvmRunLayoutTest}).
 */
public final class KvmRun {
    static final long IMMEDIATE_EXIT = 1;
    static final long EXIT_REASON = 8;
    /** Start of the exit union. */
    static final long EXIT_UNION = 32;
    static final long IO_DIRECTION = EXIT_UNION;
    static final long IO_SIZE = EXIT_UNION + 1;
    static final long IO_PORT = EXIT_UNION + 2;
    static final long IO_COUNT = EXIT_UNION + 4;
    static final long IO_DATA_OFFSET = EXIT_UNION + 8;
    static final long MMIO_PHYS_ADDR = EXIT_UNION;
    static final long MMIO_DATA = EXIT_UNION + 8;
    static final long MMIO_LEN = EXIT_UNION + 16;
    static final long MMIO_IS_WRITE = EXIT_UNION + 20;
    static final long SYSTEM_EVENT_TYPE = EXIT_UNION;
    static final long INTERNAL_SUBERROR = EXIT_UNION;
    static final long FAIL_ENTRY_REASON = EXIT_UNION;

    private final MemorySegment run;

    public KvmRun(MemorySegment run) {
        this.run = run;
    }

    public int exitReason() {
        return run.get(JAVA_INT_UNALIGNED, EXIT_REASON);
    }

    /** Makes the next (or the current, on a kick) {@code KVM_RUN} return at once with EINTR. */
    public void setImmediateExit(boolean exit) {
        run.set(JAVA_BYTE, IMMEDIATE_EXIT, (byte) (exit ? 1 : 0));
    }

    public boolean immediateExit() {
        return run.get(JAVA_BYTE, IMMEDIATE_EXIT) != 0;
    }

    public int ioDirection() {
        return run.get(JAVA_BYTE, IO_DIRECTION);
    }

    public int ioSize() {
        return run.get(JAVA_BYTE, IO_SIZE);
    }

    public int ioPort() {
        return Short.toUnsignedInt(run.get(JAVA_SHORT_UNALIGNED, IO_PORT));
    }

    public int ioCount() {
        return run.get(JAVA_INT_UNALIGNED, IO_COUNT);
    }

    /** The bytes of a port I/O exit: {@code count * size} bytes inside the kvm_run mapping. */
    public MemorySegment ioData() {
        long offset = run.get(JAVA_LONG_UNALIGNED, IO_DATA_OFFSET);
        return run.asSlice(offset, (long) ioSize() * ioCount());
    }

    public long mmioPhysAddr() {
        return run.get(JAVA_LONG_UNALIGNED, MMIO_PHYS_ADDR);
    }

    public boolean mmioIsWrite() {
        return run.get(JAVA_BYTE, MMIO_IS_WRITE) != 0;
    }

    /** The data bytes of an MMIO exit ({@code len} of the 8 available). */
    public MemorySegment mmioData() {
        return run.asSlice(MMIO_DATA, run.get(JAVA_INT_UNALIGNED, MMIO_LEN));
    }

    public int systemEventType() {
        return run.get(JAVA_INT_UNALIGNED, SYSTEM_EVENT_TYPE);
    }

    public int internalErrorSuberror() {
        return run.get(JAVA_INT_UNALIGNED, INTERNAL_SUBERROR);
    }

    public long failEntryReason() {
        return run.get(JAVA_LONG_UNALIGNED, FAIL_ENTRY_REASON);
    }
}
