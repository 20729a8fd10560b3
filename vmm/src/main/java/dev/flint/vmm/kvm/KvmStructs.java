package dev.flint.vmm.kvm;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static java.lang.foreign.MemoryLayout.paddingLayout;
import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * Layouts of the structs in {@code include/uapi/linux/kvm.h} and {@code arch/x86/include/uapi/asm/kvm.h}
 * that Flint passes to ioctls. Sizes and offsets are pinned by {@code KvmStructsLayoutTest}.
 */
public final class KvmStructs {
    /** {@code struct kvm_userspace_memory_region}. */
    public static final StructLayout USERSPACE_MEMORY_REGION = structLayout(
            JAVA_INT.withName("slot"),
            JAVA_INT.withName("flags"),
            JAVA_LONG.withName("guest_phys_addr"),
            JAVA_LONG.withName("memory_size"),
            JAVA_LONG.withName("userspace_addr"));

    /** {@code struct kvm_regs}: the 18 general registers in kernel order. */
    public static final StructLayout REGS = structLayout(
            JAVA_LONG.withName("rax"), JAVA_LONG.withName("rbx"), JAVA_LONG.withName("rcx"),
            JAVA_LONG.withName("rdx"), JAVA_LONG.withName("rsi"), JAVA_LONG.withName("rdi"),
            JAVA_LONG.withName("rsp"), JAVA_LONG.withName("rbp"), JAVA_LONG.withName("r8"),
            JAVA_LONG.withName("r9"), JAVA_LONG.withName("r10"), JAVA_LONG.withName("r11"),
            JAVA_LONG.withName("r12"), JAVA_LONG.withName("r13"), JAVA_LONG.withName("r14"),
            JAVA_LONG.withName("r15"), JAVA_LONG.withName("rip"), JAVA_LONG.withName("rflags"));

    /** {@code struct kvm_segment}. */
    public static final StructLayout SEGMENT = structLayout(
            JAVA_LONG.withName("base"),
            JAVA_INT.withName("limit"),
            JAVA_SHORT.withName("selector"),
            JAVA_BYTE.withName("type"),
            JAVA_BYTE.withName("present"),
            JAVA_BYTE.withName("dpl"),
            JAVA_BYTE.withName("db"),
            JAVA_BYTE.withName("s"),
            JAVA_BYTE.withName("l"),
            JAVA_BYTE.withName("g"),
            JAVA_BYTE.withName("avl"),
            JAVA_BYTE.withName("unusable"),
            JAVA_BYTE.withName("padding"));

    /** {@code struct kvm_dtable}. */
    public static final StructLayout DTABLE = structLayout(
            JAVA_LONG.withName("base"),
            JAVA_SHORT.withName("limit"),
            paddingLayout(6));

    /** {@code struct kvm_sregs}. */
    public static final StructLayout SREGS = structLayout(
            SEGMENT.withName("cs"), SEGMENT.withName("ds"), SEGMENT.withName("es"),
            SEGMENT.withName("fs"), SEGMENT.withName("gs"), SEGMENT.withName("ss"),
            SEGMENT.withName("tr"), SEGMENT.withName("ldt"),
            DTABLE.withName("gdt"), DTABLE.withName("idt"),
            JAVA_LONG.withName("cr0"), JAVA_LONG.withName("cr2"), JAVA_LONG.withName("cr3"),
            JAVA_LONG.withName("cr4"), JAVA_LONG.withName("cr8"), JAVA_LONG.withName("efer"),
            JAVA_LONG.withName("apic_base"),
            sequenceLayout(4, JAVA_LONG).withName("interrupt_bitmap"));

    /** {@code struct kvm_cpuid_entry2}. */
    public static final StructLayout CPUID_ENTRY2 = structLayout(
            JAVA_INT.withName("function"), JAVA_INT.withName("index"), JAVA_INT.withName("flags"),
            JAVA_INT.withName("eax"), JAVA_INT.withName("ebx"), JAVA_INT.withName("ecx"),
            JAVA_INT.withName("edx"), paddingLayout(12));

    /** The fixed head of {@code struct kvm_cpuid2}; {@link #CPUID_ENTRY2} entries follow it. */
    public static final StructLayout CPUID2_HEADER = structLayout(
            JAVA_INT.withName("nent"), JAVA_INT.withName("padding"));

    /** {@code struct kvm_msr_entry}. */
    public static final StructLayout MSR_ENTRY = structLayout(
            JAVA_INT.withName("index"), JAVA_INT.withName("reserved"), JAVA_LONG.withName("data"));

    /** The fixed head of {@code struct kvm_msrs}; {@link #MSR_ENTRY} entries follow it. */
    public static final StructLayout MSRS_HEADER = structLayout(
            JAVA_INT.withName("nmsrs"), JAVA_INT.withName("pad"));

    /** {@code struct kvm_lapic_state}: the local APIC's 1 KiB register page. */
    public static final MemoryLayout LAPIC_STATE = sequenceLayout(1024, JAVA_BYTE);

    /** {@code struct kvm_mp_state}: one u32, a {@code KVM_MP_STATE_*} value. */
    public static final StructLayout MP_STATE = structLayout(JAVA_INT.withName("mp_state"));

    /** {@code struct kvm_debugregs}: DR0-3, DR6, DR7. */
    public static final StructLayout DEBUGREGS = structLayout(
            sequenceLayout(4, JAVA_LONG).withName("db"), JAVA_LONG.withName("dr6"), JAVA_LONG.withName("dr7"),
            JAVA_LONG.withName("flags"), sequenceLayout(9, JAVA_LONG).withName("reserved"));

    /**
     * {@code struct kvm_vcpu_events}: pending exception, interrupt, NMI and SMI, and the SIPI
     * vector; {@code flags} says which optional parts are valid.
     */
    public static final StructLayout VCPU_EVENTS = structLayout(
            structLayout(JAVA_BYTE.withName("injected"), JAVA_BYTE.withName("nr"), JAVA_BYTE.withName("has_error_code"),
                    JAVA_BYTE.withName("pending"), JAVA_INT.withName("error_code")).withName("exception"),
            structLayout(JAVA_BYTE.withName("injected"), JAVA_BYTE.withName("nr"), JAVA_BYTE.withName("soft"),
                    JAVA_BYTE.withName("shadow")).withName("interrupt"),
            structLayout(JAVA_BYTE.withName("injected"), JAVA_BYTE.withName("pending"), JAVA_BYTE.withName("masked"),
                    JAVA_BYTE.withName("pad")).withName("nmi"),
            JAVA_INT.withName("sipi_vector"),
            JAVA_INT.withName("flags"),
            structLayout(JAVA_BYTE.withName("smm"), JAVA_BYTE.withName("pending"), JAVA_BYTE.withName("smm_inside_nmi"),
                    JAVA_BYTE.withName("latched_init")).withName("smi"),
            sequenceLayout(27, JAVA_BYTE).withName("reserved"),
            JAVA_BYTE.withName("exception_has_payload"),
            JAVA_LONG.withName("exception_payload"));

    /** {@code struct kvm_xcr}. */
    public static final StructLayout XCR = structLayout(
            JAVA_INT.withName("xcr"), JAVA_INT.withName("reserved"), JAVA_LONG.withName("value"));

    /** {@code struct kvm_xcrs}: up to 16 extended control registers (XCR0 in practice). */
    public static final StructLayout XCRS = structLayout(
            JAVA_INT.withName("nr_xcrs"), JAVA_INT.withName("flags"), sequenceLayout(16, XCR).withName("xcrs"),
            sequenceLayout(16, JAVA_LONG).withName("padding"));

    /**
     * {@code struct kvm_xsave}: the 4 KiB legacy XSAVE area. {@code KVM_GET_XSAVE2} may fill a
     * larger one (the size {@code KVM_CAP_XSAVE2} reports); the ioctl numbers use this size.
     */
    public static final MemoryLayout XSAVE = sequenceLayout(1024, JAVA_INT);

    /** The fixed head of {@code struct kvm_msr_list}; {@code nmsrs} u32 indices follow it. */
    public static final StructLayout MSR_LIST_HEADER = structLayout(JAVA_INT.withName("nmsrs"));

    /** {@code struct kvm_pit_channel_state}. */
    public static final StructLayout PIT_CHANNEL_STATE = structLayout(
            JAVA_INT.withName("count"), JAVA_SHORT.withName("latched_count"), JAVA_BYTE.withName("count_latched"),
            JAVA_BYTE.withName("status_latched"), JAVA_BYTE.withName("status"), JAVA_BYTE.withName("read_state"),
            JAVA_BYTE.withName("write_state"), JAVA_BYTE.withName("write_latch"), JAVA_BYTE.withName("rw_mode"),
            JAVA_BYTE.withName("mode"), JAVA_BYTE.withName("bcd"), JAVA_BYTE.withName("gate"),
            JAVA_LONG.withName("count_load_time"));

    /** {@code struct kvm_pit_state2}: the in-kernel i8254's three channels. */
    public static final StructLayout PIT_STATE2 = structLayout(
            sequenceLayout(3, PIT_CHANNEL_STATE).withName("channels"), JAVA_INT.withName("flags"),
            sequenceLayout(9, JAVA_INT).withName("reserved"));

    /** {@code struct kvm_clock_data}: the VM's kvmclock in ns, with {@code KVM_CLOCK_*} flags. */
    public static final StructLayout CLOCK_DATA = structLayout(
            JAVA_LONG.withName("clock"), JAVA_INT.withName("flags"), JAVA_INT.withName("pad0"),
            JAVA_LONG.withName("realtime"), JAVA_LONG.withName("host_tsc"), sequenceLayout(4, JAVA_INT).withName("pad"));

    /**
     * {@code struct kvm_irqchip}: {@code chip_id} (0 PIC master, 1 PIC slave, 2 IOAPIC), then a
     * 512-byte union of {@code kvm_pic_state} and {@code kvm_ioapic_state}.
     */
    public static final StructLayout IRQCHIP = structLayout(
            JAVA_INT.withName("chip_id"), JAVA_INT.withName("pad"), sequenceLayout(512, JAVA_BYTE).withName("chip"));

    /** {@code struct kvm_pit_config}. */
    public static final StructLayout PIT_CONFIG = structLayout(
            JAVA_INT.withName("flags"), sequenceLayout(15, JAVA_INT).withName("pad"));

    /** {@code struct kvm_ioeventfd}. */
    public static final StructLayout IOEVENTFD = structLayout(
            JAVA_LONG.withName("datamatch"), JAVA_LONG.withName("addr"), JAVA_INT.withName("len"),
            JAVA_INT.withName("fd"), JAVA_INT.withName("flags"), paddingLayout(36));

    /** {@code struct kvm_irqfd}. */
    public static final StructLayout IRQFD = structLayout(
            JAVA_INT.withName("fd"), JAVA_INT.withName("gsi"), JAVA_INT.withName("flags"),
            JAVA_INT.withName("resamplefd"), paddingLayout(16));

    /** The fixed head of {@code struct kvm_signal_mask}; {@code len} bytes of sigset follow it. */
    public static final StructLayout SIGNAL_MASK_HEADER = structLayout(JAVA_INT.withName("len"));

    private KvmStructs() {
    }
}
