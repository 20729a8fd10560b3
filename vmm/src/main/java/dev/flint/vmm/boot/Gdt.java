package dev.flint.vmm.boot;

import dev.flint.vmm.memory.GuestMemory;

import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/** The boot GDT: null, 64-bit code, data and TSS descriptors, and an empty IDT. */
public final class Gdt {
    public static final SegmentDescriptor CODE = new SegmentDescriptor(0xa09b, 0, 0xfffff);
    public static final SegmentDescriptor DATA = new SegmentDescriptor(0xc093, 0, 0xfffff);
    public static final SegmentDescriptor TSS = new SegmentDescriptor(0x808b, 0, 0xfffff);
    public static final List<SegmentDescriptor> ENTRIES =
            List.of(new SegmentDescriptor(0, 0, 0), CODE, DATA, TSS);
    public static final int CODE_SELECTOR = 1 << 3;
    public static final int DATA_SELECTOR = 2 << 3;
    public static final int TSS_SELECTOR = 3 << 3;
    public static final int GDT_LIMIT = ENTRIES.size() * 8 - 1;
    public static final int IDT_LIMIT = 7;

    private Gdt() {
    }

    /** Writes the GDT at {@link BootLayout#GDT_ADDRESS} and a null IDT at {@link BootLayout#IDT_ADDRESS}. */
    public static void write(GuestMemory memory) {
        var gdt = memory.slice(BootLayout.GDT_ADDRESS, ENTRIES.size() * 8L);
        for (int i = 0; i < ENTRIES.size(); i++) {
            gdt.set(JAVA_LONG_UNALIGNED, i * 8L, ENTRIES.get(i).encode());
        }
        memory.slice(BootLayout.IDT_ADDRESS, 8).fill((byte) 0);
    }
}
