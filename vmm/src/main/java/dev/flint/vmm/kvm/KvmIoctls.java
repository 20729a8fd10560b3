package dev.flint.vmm.kvm;

import static dev.flint.vmm.sys.Ioctl.io;
import static dev.flint.vmm.sys.Ioctl.ior;
import static dev.flint.vmm.sys.Ioctl.iow;
import static dev.flint.vmm.sys.Ioctl.iowr;

/** The KVM ioctl request numbers Flint issues, computed as {@code linux/kvm.h} defines them. */
public final class KvmIoctls {
    /** KVMIO, the ioctl type byte of every KVM request. */
    public static final int KVMIO = 0xAE;

    // System ioctls (on the /dev/kvm fd).
    public static final long KVM_GET_API_VERSION = io(KVMIO, 0x00);
    public static final long KVM_CREATE_VM = io(KVMIO, 0x01);
    public static final long KVM_CHECK_EXTENSION = io(KVMIO, 0x03);
    public static final long KVM_GET_VCPU_MMAP_SIZE = io(KVMIO, 0x04);
    public static final long KVM_GET_SUPPORTED_CPUID = iowr(KVMIO, 0x05, KvmStructs.CPUID2_HEADER.byteSize());
    public static final long KVM_GET_MSR_INDEX_LIST = iowr(KVMIO, 0x02, KvmStructs.MSR_LIST_HEADER.byteSize());

    // VM ioctls.
    public static final long KVM_CREATE_VCPU = io(KVMIO, 0x41);
    public static final long KVM_SET_USER_MEMORY_REGION =
            iow(KVMIO, 0x46, KvmStructs.USERSPACE_MEMORY_REGION.byteSize());
    public static final long KVM_SET_TSS_ADDR = io(KVMIO, 0x47);
    public static final long KVM_SET_IDENTITY_MAP_ADDR = iow(KVMIO, 0x48, Long.BYTES);
    public static final long KVM_CREATE_IRQCHIP = io(KVMIO, 0x60);
    public static final long KVM_IRQFD = iow(KVMIO, 0x76, KvmStructs.IRQFD.byteSize());
    public static final long KVM_IOEVENTFD = iow(KVMIO, 0x79, KvmStructs.IOEVENTFD.byteSize());
    public static final long KVM_CREATE_PIT2 = iow(KVMIO, 0x77, KvmStructs.PIT_CONFIG.byteSize());
    public static final long KVM_GET_IRQCHIP = iowr(KVMIO, 0x62, KvmStructs.IRQCHIP.byteSize());
    /** {@code _IOR}, not {@code _IOW}: so linux/kvm.h defines it. */
    public static final long KVM_SET_IRQCHIP = ior(KVMIO, 0x63, KvmStructs.IRQCHIP.byteSize());
    public static final long KVM_SET_CLOCK = iow(KVMIO, 0x7b, KvmStructs.CLOCK_DATA.byteSize());
    public static final long KVM_GET_CLOCK = ior(KVMIO, 0x7c, KvmStructs.CLOCK_DATA.byteSize());
    public static final long KVM_GET_PIT2 = ior(KVMIO, 0x9f, KvmStructs.PIT_STATE2.byteSize());
    public static final long KVM_SET_PIT2 = iow(KVMIO, 0xa0, KvmStructs.PIT_STATE2.byteSize());

    // vCPU ioctls.
    public static final long KVM_RUN = io(KVMIO, 0x80);
    public static final long KVM_GET_REGS = ior(KVMIO, 0x81, KvmStructs.REGS.byteSize());
    public static final long KVM_SET_REGS = iow(KVMIO, 0x82, KvmStructs.REGS.byteSize());
    public static final long KVM_GET_SREGS = ior(KVMIO, 0x83, KvmStructs.SREGS.byteSize());
    public static final long KVM_SET_SREGS = iow(KVMIO, 0x84, KvmStructs.SREGS.byteSize());
    public static final long KVM_GET_MSRS = iowr(KVMIO, 0x88, KvmStructs.MSRS_HEADER.byteSize());
    public static final long KVM_SET_MSRS = iow(KVMIO, 0x89, KvmStructs.MSRS_HEADER.byteSize());
    public static final long KVM_SET_SIGNAL_MASK = iow(KVMIO, 0x8b, KvmStructs.SIGNAL_MASK_HEADER.byteSize());
    public static final long KVM_GET_LAPIC = ior(KVMIO, 0x8e, KvmStructs.LAPIC_STATE.byteSize());
    public static final long KVM_SET_LAPIC = iow(KVMIO, 0x8f, KvmStructs.LAPIC_STATE.byteSize());
    public static final long KVM_SET_CPUID2 = iow(KVMIO, 0x90, KvmStructs.CPUID2_HEADER.byteSize());
    /** {@code struct kvm_mp_state} is one u32. */
    public static final long KVM_GET_MP_STATE = ior(KVMIO, 0x98, KvmStructs.MP_STATE.byteSize());
    public static final long KVM_SET_MP_STATE = iow(KVMIO, 0x99, KvmStructs.MP_STATE.byteSize());
    public static final long KVM_GET_CPUID2 = iowr(KVMIO, 0x91, KvmStructs.CPUID2_HEADER.byteSize());
    public static final long KVM_GET_VCPU_EVENTS = ior(KVMIO, 0x9f, KvmStructs.VCPU_EVENTS.byteSize());
    public static final long KVM_SET_VCPU_EVENTS = iow(KVMIO, 0xa0, KvmStructs.VCPU_EVENTS.byteSize());
    public static final long KVM_GET_DEBUGREGS = ior(KVMIO, 0xa1, KvmStructs.DEBUGREGS.byteSize());
    public static final long KVM_SET_DEBUGREGS = iow(KVMIO, 0xa2, KvmStructs.DEBUGREGS.byteSize());
    /** The argument is the frequency itself, not a pointer. */
    public static final long KVM_SET_TSC_KHZ = io(KVMIO, 0xa2);
    /** Returns the frequency as the ioctl's result. */
    public static final long KVM_GET_TSC_KHZ = io(KVMIO, 0xa3);
    public static final long KVM_GET_XSAVE = ior(KVMIO, 0xa4, KvmStructs.XSAVE.byteSize());
    public static final long KVM_SET_XSAVE = iow(KVMIO, 0xa5, KvmStructs.XSAVE.byteSize());
    public static final long KVM_GET_XCRS = ior(KVMIO, 0xa6, KvmStructs.XCRS.byteSize());
    public static final long KVM_SET_XCRS = iow(KVMIO, 0xa7, KvmStructs.XCRS.byteSize());
    public static final long KVM_KVMCLOCK_CTRL = io(KVMIO, 0xad);
    /** Fills an XSAVE area of the size {@link #KVM_CAP_XSAVE2} reports (at least 4 KiB). */
    public static final long KVM_GET_XSAVE2 = ior(KVMIO, 0xcf, KvmStructs.XSAVE.byteSize());

    /** The only KVM API version there has ever been (KVM API doc, section 4.1). */
    public static final int KVM_API_VERSION = 12;

    // Capabilities for KVM_CHECK_EXTENSION.
    public static final int KVM_CAP_IRQCHIP = 0;
    public static final int KVM_CAP_USER_MEMORY = 3;
    public static final int KVM_CAP_SET_TSS_ADDR = 4;
    public static final int KVM_CAP_EXT_CPUID = 7;
    /** Recommended vCPUs per VM. */
    public static final int KVM_CAP_NR_VCPUS = 9;
    /** Most vCPUs one VM may have. */
    public static final int KVM_CAP_MAX_VCPUS = 66;
    public static final int KVM_CAP_PIT2 = 33;
    public static final int KVM_CAP_IMMEDIATE_EXIT = 136;
    /** KVM emulates the local APIC's TSC-deadline timer mode (which KVM_GET_SUPPORTED_CPUID does not report). */
    public static final int KVM_CAP_TSC_DEADLINE_TIMER = 72;
    /** {@code KVM_SET_TSC_KHZ} works: the host can scale a guest's TSC. */
    public static final int KVM_CAP_TSC_CONTROL = 60;
    /** On a VM fd: the bytes {@code KVM_GET_XSAVE2} fills (0 when only the 4 KiB {@code KVM_GET_XSAVE} exists). */
    public static final int KVM_CAP_XSAVE2 = 208;

    /** {@code kvm_irqchip.chip_id}. */
    public static final int KVM_IRQCHIP_PIC_MASTER = 0;
    public static final int KVM_IRQCHIP_PIC_SLAVE = 1;
    public static final int KVM_IRQCHIP_IOAPIC = 2;

    public static final int KVM_CAP_IRQFD = 32;
    public static final int KVM_CAP_IOEVENTFD = 36;

    /** {@code kvm_ioeventfd.flags}. */
    public static final int KVM_IOEVENTFD_FLAG_DATAMATCH = 1;
    public static final int KVM_IOEVENTFD_FLAG_PIO = 1 << 1;
    public static final int KVM_IOEVENTFD_FLAG_DEASSIGN = 1 << 2;
    /** {@code kvm_irqfd.flags}. */
    public static final int KVM_IRQFD_FLAG_DEASSIGN = 1;

    /** {@code kvm_pit_config.flags}: no speaker port emulation beyond a dummy. */
    public static final int KVM_PIT_SPEAKER_DUMMY = 1;

    private KvmIoctls() {
    }
}
