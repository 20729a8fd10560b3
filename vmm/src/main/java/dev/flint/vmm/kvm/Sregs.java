package dev.flint.vmm.kvm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

import static dev.flint.vmm.kvm.KvmStructs.SEGMENT;
import static dev.flint.vmm.kvm.KvmStructs.SREGS;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/** Flyweight over a {@code struct kvm_sregs} buffer. */
public final class Sregs {
    /** The segment registers, named as the struct's fields. */
    public enum Segment { CS, DS, ES, FS, GS, SS, TR, LDT }

    private static final VarHandle CR0 = handle("cr0");
    private static final VarHandle CR3 = handle("cr3");
    private static final VarHandle CR4 = handle("cr4");
    private static final VarHandle EFER = handle("efer");

    private final MemorySegment sregs;

    public Sregs(Arena arena) {
        this.sregs = arena.allocate(SREGS);
    }

    private static VarHandle handle(String field) {
        return SREGS.varHandle(groupElement(field));
    }

    public MemorySegment segment() {
        return sregs;
    }

    public long cr0() {
        return (long) CR0.get(sregs, 0L);
    }

    public void cr0(long value) {
        CR0.set(sregs, 0L, value);
    }

    public long cr3() {
        return (long) CR3.get(sregs, 0L);
    }

    public void cr3(long value) {
        CR3.set(sregs, 0L, value);
    }

    public long cr4() {
        return (long) CR4.get(sregs, 0L);
    }

    public void cr4(long value) {
        CR4.set(sregs, 0L, value);
    }

    public long efer() {
        return (long) EFER.get(sregs, 0L);
    }

    public void efer(long value) {
        EFER.set(sregs, 0L, value);
    }

    /** Sets {@code gdt} or {@code idt} (the descriptor-table fields) to base and limit. */
    public void descriptorTable(String table, long base, int limit) {
        long offset = SREGS.byteOffset(groupElement(table));
        sregs.set(JAVA_LONG, offset, base);
        sregs.set(JAVA_SHORT, offset + 8, (short) limit);
    }

    /** Writes a {@code struct kvm_segment} field by field. */
    public void segment(Segment register, long base, int limit, int selector, int type, boolean present,
                        int dpl, boolean db, boolean s, boolean l, boolean g, boolean avl) {
        MemorySegment seg = sregs.asSlice(SREGS.byteOffset(groupElement(register.name().toLowerCase())), SEGMENT.byteSize());
        seg.set(JAVA_LONG, 0, base);
        seg.set(JAVA_INT, 8, limit);
        seg.set(JAVA_SHORT, 12, (short) selector);
        seg.set(JAVA_BYTE, 14, (byte) type);
        seg.set(JAVA_BYTE, 15, bit(present));
        seg.set(JAVA_BYTE, 16, (byte) dpl);
        seg.set(JAVA_BYTE, 17, bit(db));
        seg.set(JAVA_BYTE, 18, bit(s));
        seg.set(JAVA_BYTE, 19, bit(l));
        seg.set(JAVA_BYTE, 20, bit(g));
        seg.set(JAVA_BYTE, 21, bit(avl));
        seg.set(JAVA_BYTE, 22, (byte) 0);
    }

    /** The selector and base of a segment register, as KVM reports them. */
    public int selector(Segment register) {
        return Short.toUnsignedInt(sregs.get(JAVA_SHORT, SREGS.byteOffset(groupElement(register.name().toLowerCase())) + 12));
    }

    public long base(Segment register) {
        return sregs.get(JAVA_LONG, SREGS.byteOffset(groupElement(register.name().toLowerCase())));
    }

    private static byte bit(boolean value) {
        return (byte) (value ? 1 : 0);
    }
}
