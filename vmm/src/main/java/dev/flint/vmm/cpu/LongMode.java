package dev.flint.vmm.cpu;

import dev.flint.vmm.boot.BootLayout;
import dev.flint.vmm.boot.Gdt;
import dev.flint.vmm.boot.SegmentDescriptor;
import dev.flint.vmm.kvm.Regs;
import dev.flint.vmm.kvm.Sregs;

/** The register state of the Linux 64-bit boot protocol's entry. */
public final class LongMode {
    static final long CR0_PE = 1;
    static final long CR0_PG = 1L << 31;
    static final long CR4_PAE = 1L << 5;
    static final long EFER_LME = 1L << 8;
    static final long EFER_LMA = 1L << 10;
    static final long RFLAGS_RESERVED = 0x2;

    private LongMode() {
    }

    /** Flat 64-bit segments from the boot GDT, paging on with {@code cr3}, long mode enabled. */
    public static void configure(Sregs sregs, long cr3) {
        segment(sregs, Sregs.Segment.CS, Gdt.CODE, Gdt.CODE_SELECTOR);
        for (Sregs.Segment data : new Sregs.Segment[] {Sregs.Segment.DS, Sregs.Segment.ES, Sregs.Segment.FS,
                Sregs.Segment.GS, Sregs.Segment.SS}) {
            segment(sregs, data, Gdt.DATA, Gdt.DATA_SELECTOR);
        }
        segment(sregs, Sregs.Segment.TR, Gdt.TSS, Gdt.TSS_SELECTOR);
        sregs.descriptorTable("gdt", BootLayout.GDT_ADDRESS, Gdt.GDT_LIMIT);
        sregs.descriptorTable("idt", BootLayout.IDT_ADDRESS, Gdt.IDT_LIMIT);
        sregs.cr3(cr3);
        sregs.cr4(sregs.cr4() | CR4_PAE);
        sregs.cr0(sregs.cr0() | CR0_PE | CR0_PG);
        sregs.efer(sregs.efer() | EFER_LME | EFER_LMA);
    }

    /** {@code rip} at the entry, {@code rsi} at the zero page, a small boot stack. */
    public static void configure(Regs regs, long entry) {
        regs.set("rflags", RFLAGS_RESERVED)
                .set("rip", entry)
                .set("rsp", BootLayout.BOOT_STACK_POINTER)
                .set("rbp", BootLayout.BOOT_STACK_POINTER)
                .set("rsi", BootLayout.ZERO_PAGE_ADDRESS);
    }

    private static void segment(Sregs sregs, Sregs.Segment register, SegmentDescriptor d, int selector) {
        sregs.segment(register, d.base(), d.effectiveLimit(), selector, d.type(), d.present(), d.dpl(),
                d.defaultBig(), !d.system(), d.longMode(), d.granular(), d.available());
    }
}
