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

    // VM ioctls.
    public static final long KVM_CREATE_VCPU = io(KVMIO, 0x41);
    public static final long KVM_SET_USER_MEMORY_REGION =
            iow(KVMIO, 0x46, KvmStructs.USERSPACE_MEMORY_REGION.byteSize());
    public static final long KVM_SET_TSS_ADDR = io(KVMIO, 0x47);
    public static final long KVM_SET_IDENTITY_MAP_ADDR = iow(KVMIO, 0x48, Long.BYTES);
    public static final long KVM_CREATE_IRQCHIP = io(KVMIO, 0x60);
    public static final long KVM_IRQ_LINE = iow(KVMIO, 0x61, KvmStructs.IRQ_LEVEL.byteSize());
    public static final long KVM_IRQFD = iow(KVMIO, 0x76, KvmStructs.IRQFD.byteSize());
    public static final long KVM_IOEVENTFD = iow(KVMIO, 0x79, KvmStructs.IOEVENTFD.byteSize());
    public static final long KVM_CREATE_PIT2 = iow(KVMIO, 0x77, KvmStructs.PIT_CONFIG.byteSize());

    // vCPU ioctls.
    public static final long KVM_RUN = io(KVMIO, 0x80);
    public static final long KVM_GET_REGS = ior(KVMIO, 0x81, KvmStructs.REGS.byteSize());
    public static final long KVM_SET_REGS = iow(KVMIO, 0x82, KvmStructs.REGS.byteSize());
    public static final long KVM_GET_SREGS = ior(KVMIO, 0x83, KvmStructs.SREGS.byteSize());
    public static final long KVM_SET_SREGS = iow(KVMIO, 0x84, KvmStructs.SREGS.byteSize());
    public static final long KVM_SET_MSRS = iow(KVMIO, 0x89, KvmStructs.MSRS_HEADER.byteSize());
    public static final long KVM_SET_SIGNAL_MASK = iow(KVMIO, 0x8b, KvmStructs.SIGNAL_MASK_HEADER.byteSize());
    public static final long KVM_GET_LAPIC = ior(KVMIO, 0x8e, KvmStructs.LAPIC_STATE.byteSize());
    public static final long KVM_SET_LAPIC = iow(KVMIO, 0x8f, KvmStructs.LAPIC_STATE.byteSize());
    public static final long KVM_SET_CPUID2 = iow(KVMIO, 0x90, KvmStructs.CPUID2_HEADER.byteSize());
    /** {@code struct kvm_mp_state} is one u32. */
    public static final long KVM_GET_MP_STATE = ior(KVMIO, 0x98, Integer.BYTES);

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
