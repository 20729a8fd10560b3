package dev.flint.vmm.kvm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static dev.flint.vmm.kvm.KvmStructs.REGS;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/** Flyweight over a {@code struct kvm_regs} buffer; registers named as the struct's fields. */
public final class Regs {
    private final MemorySegment regs;

    public Regs(Arena arena) {
        this.regs = arena.allocate(REGS);
    }

    public MemorySegment segment() {
        return regs;
    }

    /** Reads a register by its field name, e.g. {@code "rip"}. */
    public long get(String register) {
        return regs.get(JAVA_LONG, REGS.byteOffset(groupElement(register)));
    }

    /** Writes a register by its field name, e.g. {@code "rsi"}. */
    public Regs set(String register, long value) {
        regs.set(JAVA_LONG, REGS.byteOffset(groupElement(register)), value);
        return this;
    }
}
