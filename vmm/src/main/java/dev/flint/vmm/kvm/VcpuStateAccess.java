package dev.flint.vmm.kvm;

import dev.flint.vmm.sys.ErrnoException;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The vCPU ioctls that save and restore a vCPU's state, implemented by {@link VcpuFd}. An
 * interface of its own so that the order a restore issues them in can be tested without KVM.
 * The struct buffers are the {@link KvmStructs} layouts named on each method.
 */
public interface VcpuStateAccess {
    /** The vCPU's index (its APIC id), for error messages. */
    int id();

    /** {@code KVM_GET_CPUID2}: the CPUID entries last set on this vCPU. */
    List<CpuidEntry> getCpuid2() throws ErrnoException;

    /** {@code KVM_SET_CPUID2}. */
    void setCpuid2(List<CpuidEntry> entries) throws ErrnoException;

    /** {@code KVM_GET_MP_STATE}: a {@code KVM_MP_STATE_*} value. */
    int getMpState() throws ErrnoException;

    /** {@code KVM_SET_MP_STATE}. */
    void setMpState(int mpState) throws ErrnoException;

    /** {@code KVM_GET_REGS} into {@link KvmStructs#REGS}. */
    void getRegs(MemorySegment regs) throws ErrnoException;

    /** {@code KVM_SET_REGS} from {@link KvmStructs#REGS}. */
    void setRegs(MemorySegment regs) throws ErrnoException;

    /** {@code KVM_GET_SREGS} into {@link KvmStructs#SREGS}. */
    void getSregs(MemorySegment sregs) throws ErrnoException;

    /** {@code KVM_SET_SREGS} from {@link KvmStructs#SREGS}. */
    void setSregs(MemorySegment sregs) throws ErrnoException;

    /** Bytes of this vCPU's XSAVE area: 4096, or more where {@code KVM_CAP_XSAVE2} reports more. */
    int xsaveSize();

    /** {@code KVM_GET_XSAVE2} (or {@code KVM_GET_XSAVE}) into {@link #xsaveSize()} bytes. */
    void getXsave(MemorySegment xsave) throws ErrnoException;

    /** {@code KVM_SET_XSAVE} from {@link #xsaveSize()} bytes. */
    void setXsave(MemorySegment xsave) throws ErrnoException;

    /** {@code KVM_GET_XCRS} into {@link KvmStructs#XCRS}. */
    void getXcrs(MemorySegment xcrs) throws ErrnoException;

    /** {@code KVM_SET_XCRS} from {@link KvmStructs#XCRS}. */
    void setXcrs(MemorySegment xcrs) throws ErrnoException;

    /** {@code KVM_GET_DEBUGREGS} into {@link KvmStructs#DEBUGREGS}. */
    void getDebugRegs(MemorySegment debugRegs) throws ErrnoException;

    /** {@code KVM_SET_DEBUGREGS} from {@link KvmStructs#DEBUGREGS}. */
    void setDebugRegs(MemorySegment debugRegs) throws ErrnoException;

    /** {@code KVM_GET_LAPIC} into {@link KvmStructs#LAPIC_STATE}. */
    void getLapic(MemorySegment lapic) throws ErrnoException;

    /** {@code KVM_SET_LAPIC} from {@link KvmStructs#LAPIC_STATE}. */
    void setLapic(MemorySegment lapic) throws ErrnoException;

    /** {@code KVM_GET_MSRS}: the values of {@code indices}, in that order; fails naming the first MSR KVM would not read. */
    List<Msr> getMsrs(List<Integer> indices) throws ErrnoException;

    /** {@code KVM_SET_MSRS}: fails naming the first MSR KVM would not write. */
    void setMsrs(List<Msr> msrs) throws ErrnoException;

    /** {@code KVM_GET_VCPU_EVENTS} into {@link KvmStructs#VCPU_EVENTS}. */
    void getVcpuEvents(MemorySegment events) throws ErrnoException;

    /** {@code KVM_SET_VCPU_EVENTS} from {@link KvmStructs#VCPU_EVENTS}. */
    void setVcpuEvents(MemorySegment events) throws ErrnoException;

    /** {@code KVM_GET_TSC_KHZ}: the guest TSC's frequency. */
    int getTscKhz() throws ErrnoException;

    /** {@code KVM_SET_TSC_KHZ}: scales the guest TSC to {@code khz}; fails where the host cannot scale. */
    void setTscKhz(int khz) throws ErrnoException;

    /**
     * {@code KVM_KVMCLOCK_CTRL}: tells a guest using kvmclock that it was paused, so its soft-lockup
     * watchdog does not fire; a no-op when the guest has not set kvmclock up yet.
     */
    void kvmclockCtrl() throws ErrnoException;
}
