package dev.flint.vmm.kvm;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Request numbers against the values the kernel headers expand to. */
class KvmIoctlsTest {
    @Test
    void systemIoctls() {
        assertEquals(0xAE00L, KvmIoctls.KVM_GET_API_VERSION);
        assertEquals(0xAE01L, KvmIoctls.KVM_CREATE_VM);
        assertEquals(0xAE03L, KvmIoctls.KVM_CHECK_EXTENSION);
        assertEquals(0xAE04L, KvmIoctls.KVM_GET_VCPU_MMAP_SIZE);
        assertEquals(0xC008AE05L, KvmIoctls.KVM_GET_SUPPORTED_CPUID);
        assertEquals(0xC004AE02L, KvmIoctls.KVM_GET_MSR_INDEX_LIST);
    }

    @Test
    void vmIoctls() {
        assertEquals(0xAE41L, KvmIoctls.KVM_CREATE_VCPU);
        assertEquals(0x4020AE46L, KvmIoctls.KVM_SET_USER_MEMORY_REGION);
        assertEquals(0xAE47L, KvmIoctls.KVM_SET_TSS_ADDR);
        assertEquals(0x4008AE48L, KvmIoctls.KVM_SET_IDENTITY_MAP_ADDR);
        assertEquals(0xAE60L, KvmIoctls.KVM_CREATE_IRQCHIP);
        assertEquals(0x4040AE77L, KvmIoctls.KVM_CREATE_PIT2);
        assertEquals(0x4020AE76L, KvmIoctls.KVM_IRQFD);
        assertEquals(0x4040AE79L, KvmIoctls.KVM_IOEVENTFD);
        assertEquals(0xC208AE62L, KvmIoctls.KVM_GET_IRQCHIP);
        assertEquals(0x8208AE63L, KvmIoctls.KVM_SET_IRQCHIP);
        assertEquals(0x4030AE7BL, KvmIoctls.KVM_SET_CLOCK);
        assertEquals(0x8030AE7CL, KvmIoctls.KVM_GET_CLOCK);
        assertEquals(0x8070AE9FL, KvmIoctls.KVM_GET_PIT2);
        assertEquals(0x4070AEA0L, KvmIoctls.KVM_SET_PIT2);
    }

    @Test
    void vcpuIoctls() {
        assertEquals(0xAE80L, KvmIoctls.KVM_RUN);
        assertEquals(0x8090AE81L, KvmIoctls.KVM_GET_REGS);
        assertEquals(0x4090AE82L, KvmIoctls.KVM_SET_REGS);
        assertEquals(0x8138AE83L, KvmIoctls.KVM_GET_SREGS);
        assertEquals(0x4138AE84L, KvmIoctls.KVM_SET_SREGS);
        assertEquals(0x4008AE89L, KvmIoctls.KVM_SET_MSRS);
        assertEquals(0x4004AE8BL, KvmIoctls.KVM_SET_SIGNAL_MASK);
        assertEquals(0x8400AE8EL, KvmIoctls.KVM_GET_LAPIC);
        assertEquals(0x4400AE8FL, KvmIoctls.KVM_SET_LAPIC);
        assertEquals(0x4008AE90L, KvmIoctls.KVM_SET_CPUID2);
        assertEquals(0x8004AE98L, KvmIoctls.KVM_GET_MP_STATE);
        assertEquals(0x4004AE99L, KvmIoctls.KVM_SET_MP_STATE);
        assertEquals(0xC008AE88L, KvmIoctls.KVM_GET_MSRS);
        assertEquals(0xC008AE91L, KvmIoctls.KVM_GET_CPUID2);
        assertEquals(0x8040AE9FL, KvmIoctls.KVM_GET_VCPU_EVENTS);
        assertEquals(0x4040AEA0L, KvmIoctls.KVM_SET_VCPU_EVENTS);
        assertEquals(0x8080AEA1L, KvmIoctls.KVM_GET_DEBUGREGS);
        assertEquals(0x4080AEA2L, KvmIoctls.KVM_SET_DEBUGREGS);
        assertEquals(0xAEA2L, KvmIoctls.KVM_SET_TSC_KHZ);
        assertEquals(0xAEA3L, KvmIoctls.KVM_GET_TSC_KHZ);
        assertEquals(0x9000AEA4L, KvmIoctls.KVM_GET_XSAVE);
        assertEquals(0x5000AEA5L, KvmIoctls.KVM_SET_XSAVE);
        assertEquals(0x8188AEA6L, KvmIoctls.KVM_GET_XCRS);
        assertEquals(0x4188AEA7L, KvmIoctls.KVM_SET_XCRS);
        assertEquals(0xAEADL, KvmIoctls.KVM_KVMCLOCK_CTRL);
        assertEquals(0x9000AECFL, KvmIoctls.KVM_GET_XSAVE2);
    }

    @Test
    void argumentSizesMustFitFourteenBits() {
        assertThrows(IllegalArgumentException.class, () -> dev.flint.vmm.sys.Ioctl.iow(0xAE, 1, 1 << 14));
    }
}
