package dev.flint.vmm.kvm;

import org.junit.jupiter.api.Test;

import java.lang.foreign.StructLayout;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Struct sizes and field offsets against include/uapi/linux/kvm.h and asm/kvm.h (x86-64). */
class KvmStructsLayoutTest {
    private static long offset(StructLayout layout, String field) {
        return layout.byteOffset(groupElement(field));
    }

    @Test
    void userspaceMemoryRegion() {
        assertEquals(32, KvmStructs.USERSPACE_MEMORY_REGION.byteSize());
        assertEquals(8, offset(KvmStructs.USERSPACE_MEMORY_REGION, "guest_phys_addr"));
        assertEquals(16, offset(KvmStructs.USERSPACE_MEMORY_REGION, "memory_size"));
        assertEquals(24, offset(KvmStructs.USERSPACE_MEMORY_REGION, "userspace_addr"));
    }

    @Test
    void regs() {
        assertEquals(144, KvmStructs.REGS.byteSize());
        assertEquals(32, offset(KvmStructs.REGS, "rsi"));
        assertEquals(48, offset(KvmStructs.REGS, "rsp"));
        assertEquals(128, offset(KvmStructs.REGS, "rip"));
        assertEquals(136, offset(KvmStructs.REGS, "rflags"));
    }

    @Test
    void segmentAndSregs() {
        assertEquals(24, KvmStructs.SEGMENT.byteSize());
        assertEquals(12, offset(KvmStructs.SEGMENT, "selector"));
        assertEquals(14, offset(KvmStructs.SEGMENT, "type"));
        assertEquals(19, offset(KvmStructs.SEGMENT, "l"));
        assertEquals(22, offset(KvmStructs.SEGMENT, "unusable"));
        assertEquals(16, KvmStructs.DTABLE.byteSize());
        assertEquals(312, KvmStructs.SREGS.byteSize());
        assertEquals(144, offset(KvmStructs.SREGS, "tr"));
        assertEquals(192, offset(KvmStructs.SREGS, "gdt"));
        assertEquals(208, offset(KvmStructs.SREGS, "idt"));
        assertEquals(224, offset(KvmStructs.SREGS, "cr0"));
        assertEquals(240, offset(KvmStructs.SREGS, "cr3"));
        assertEquals(248, offset(KvmStructs.SREGS, "cr4"));
        assertEquals(264, offset(KvmStructs.SREGS, "efer"));
        assertEquals(280, offset(KvmStructs.SREGS, "interrupt_bitmap"));
    }

    @Test
    void cpuidMsrsAndSmallStructs() {
        assertEquals(40, KvmStructs.CPUID_ENTRY2.byteSize());
        assertEquals(12, offset(KvmStructs.CPUID_ENTRY2, "eax"));
        assertEquals(24, offset(KvmStructs.CPUID_ENTRY2, "edx"));
        assertEquals(8, KvmStructs.CPUID2_HEADER.byteSize());
        assertEquals(16, KvmStructs.MSR_ENTRY.byteSize());
        assertEquals(8, offset(KvmStructs.MSR_ENTRY, "data"));
        assertEquals(8, KvmStructs.MSRS_HEADER.byteSize());
        assertEquals(1024, KvmStructs.LAPIC_STATE.byteSize());
        assertEquals(64, KvmStructs.PIT_CONFIG.byteSize());
        assertEquals(4, KvmStructs.SIGNAL_MASK_HEADER.byteSize());
        assertEquals(64, KvmStructs.IOEVENTFD.byteSize());
        assertEquals(20, offset(KvmStructs.IOEVENTFD, "fd"));
        assertEquals(24, offset(KvmStructs.IOEVENTFD, "flags"));
        assertEquals(32, KvmStructs.IRQFD.byteSize());
        assertEquals(4, offset(KvmStructs.IRQFD, "gsi"));
    }

    @Test
    void vcpuStateStructs() {
        assertEquals(4, KvmStructs.MP_STATE.byteSize());
        assertEquals(128, KvmStructs.DEBUGREGS.byteSize());
        assertEquals(32, offset(KvmStructs.DEBUGREGS, "dr6"));
        assertEquals(40, offset(KvmStructs.DEBUGREGS, "dr7"));
        assertEquals(48, offset(KvmStructs.DEBUGREGS, "flags"));
        assertEquals(64, KvmStructs.VCPU_EVENTS.byteSize());
        assertEquals(8, offset(KvmStructs.VCPU_EVENTS, "interrupt"));
        assertEquals(12, offset(KvmStructs.VCPU_EVENTS, "nmi"));
        assertEquals(16, offset(KvmStructs.VCPU_EVENTS, "sipi_vector"));
        assertEquals(20, offset(KvmStructs.VCPU_EVENTS, "flags"));
        assertEquals(24, offset(KvmStructs.VCPU_EVENTS, "smi"));
        assertEquals(55, offset(KvmStructs.VCPU_EVENTS, "exception_has_payload"));
        assertEquals(56, offset(KvmStructs.VCPU_EVENTS, "exception_payload"));
        assertEquals(16, KvmStructs.XCR.byteSize());
        assertEquals(392, KvmStructs.XCRS.byteSize());
        assertEquals(8, offset(KvmStructs.XCRS, "xcrs"));
        assertEquals(264, offset(KvmStructs.XCRS, "padding"));
        assertEquals(4096, KvmStructs.XSAVE.byteSize());
        assertEquals(4, KvmStructs.MSR_LIST_HEADER.byteSize());
    }

    @Test
    void vmStateStructs() {
        assertEquals(24, KvmStructs.PIT_CHANNEL_STATE.byteSize());
        assertEquals(16, offset(KvmStructs.PIT_CHANNEL_STATE, "count_load_time"));
        assertEquals(15, offset(KvmStructs.PIT_CHANNEL_STATE, "gate"));
        assertEquals(112, KvmStructs.PIT_STATE2.byteSize());
        assertEquals(72, offset(KvmStructs.PIT_STATE2, "flags"));
        assertEquals(48, KvmStructs.CLOCK_DATA.byteSize());
        assertEquals(8, offset(KvmStructs.CLOCK_DATA, "flags"));
        assertEquals(16, offset(KvmStructs.CLOCK_DATA, "realtime"));
        assertEquals(24, offset(KvmStructs.CLOCK_DATA, "host_tsc"));
        assertEquals(520, KvmStructs.IRQCHIP.byteSize());
        assertEquals(8, offset(KvmStructs.IRQCHIP, "chip"));
        assertEquals(512, VmFd.CHIP_BYTES);
    }

    @Test
    void kvmRunUnionOffsets() {
        assertEquals(1, KvmRun.IMMEDIATE_EXIT);
        assertEquals(8, KvmRun.EXIT_REASON);
        assertEquals(32, KvmRun.EXIT_UNION);
        assertEquals(34, KvmRun.IO_PORT);
        assertEquals(36, KvmRun.IO_COUNT);
        assertEquals(40, KvmRun.IO_DATA_OFFSET);
        assertEquals(40, KvmRun.MMIO_DATA);
        assertEquals(48, KvmRun.MMIO_LEN);
        assertEquals(52, KvmRun.MMIO_IS_WRITE);
    }
}
