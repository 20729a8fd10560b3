package dev.flint.vmm.kvm;

import dev.flint.vmm.sys.Errno;
import dev.flint.vmm.sys.ErrnoException;
import dev.flint.vmm.sys.Libc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/** A vCPU fd and its mmapped {@code kvm_run}: one method per vCPU ioctl (KVM API doc, section 4). */
public final class VcpuFd extends FileDescriptor implements VcpuStateAccess {
    private final int id;
    private final long runAddress;
    private final long runSize;
    private final KvmRun run;
    private final int xsaveSize;

    /** {@code xsaveSize}: what {@code KVM_CAP_XSAVE2} reported on the VM, 0 when it is absent. */
    VcpuFd(int id, int fd, long runAddress, long runSize, int xsaveSize) {
        super("kvm-vcpu" + id, fd);
        this.id = id;
        this.runAddress = runAddress;
        this.runSize = runSize;
        this.run = new KvmRun(MemorySegment.ofAddress(runAddress).reinterpret(runSize));
        this.xsaveSize = xsaveSize;
    }

    @Override
    public int id() {
        return id;
    }

    /** The shared {@code kvm_run} area: exit details after {@link #run()}. */
    public KvmRun runState() {
        return run;
    }

    /**
     * {@code KVM_RUN} (4.10): runs the vCPU until an exit that needs user space.
     *
     * @return the exit reason, or {@link KvmExit#INTR} when the call was interrupted by a kick
     *         (EINTR) or asked to retry (EAGAIN): expected in the run loop, not errors
     */
    public int run() throws ErrnoException {
        int rc = Libc.ioctl(fd(), KvmIoctls.KVM_RUN, 0L);
        if (rc == -Errno.EINTR || rc == -Errno.EAGAIN) {
            return KvmExit.INTR;
        }
        ErrnoException.check("ioctl(KVM_RUN)", rc);
        return run.exitReason();
    }

    /** {@code KVM_GET_REGS} (4.11) into {@code regs} ({@link KvmStructs#REGS}). */
    @Override
    public void getRegs(MemorySegment regs) throws ErrnoException {
        ErrnoException.check("ioctl(KVM_GET_REGS)", Libc.ioctl(fd(), KvmIoctls.KVM_GET_REGS, regs));
    }

    /** {@code KVM_SET_REGS} (4.12) from {@code regs} ({@link KvmStructs#REGS}). */
    @Override
    public void setRegs(MemorySegment regs) throws ErrnoException {
        ErrnoException.check("ioctl(KVM_SET_REGS)", Libc.ioctl(fd(), KvmIoctls.KVM_SET_REGS, regs));
    }

    /** {@code KVM_GET_SREGS} (4.13) into {@code sregs} ({@link KvmStructs#SREGS}). */
    @Override
    public void getSregs(MemorySegment sregs) throws ErrnoException {
        ErrnoException.check("ioctl(KVM_GET_SREGS)", Libc.ioctl(fd(), KvmIoctls.KVM_GET_SREGS, sregs));
    }

    /** {@code KVM_SET_SREGS} (4.14) from {@code sregs} ({@link KvmStructs#SREGS}). */
    @Override
    public void setSregs(MemorySegment sregs) throws ErrnoException {
        ErrnoException.check("ioctl(KVM_SET_SREGS)", Libc.ioctl(fd(), KvmIoctls.KVM_SET_SREGS, sregs));
    }

    /** {@code KVM_SET_CPUID2} (4.73): what CPUID returns in this vCPU. */
    @Override
    public void setCpuid2(List<CpuidEntry> entries) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            ErrnoException.check("ioctl(KVM_SET_CPUID2)",
                    Libc.ioctl(fd(), KvmIoctls.KVM_SET_CPUID2, Kvm.Cpuid.write(arena, entries)));
        }
    }

    /**
     * {@code KVM_GET_CPUID2} (4.73): the entries {@link #setCpuid2} set, none before that. Linux
     * up to 6.1 (the rig's) never writes the count back (on success it leaves {@code nent} as
     * given, on E2BIG it does not copy it out), but it does fail with E2BIG for too little room:
     * so the count is the least room that succeeds, found by bisection (9 calls at most).
     */
    @Override
    public List<CpuidEntry> getCpuid2() throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            if (!getCpuid2Fits(arena, Kvm.MAX_CPUID_ENTRIES)) {
                throw new IllegalStateException("vCPU " + id + " has more than " + Kvm.MAX_CPUID_ENTRIES + " CPUID entries");
            }
            int low = 0;
            int high = Kvm.MAX_CPUID_ENTRIES;
            while (low < high) {
                int middle = (low + high) >>> 1;
                if (getCpuid2Fits(arena, middle)) {
                    high = middle;
                } else {
                    low = middle + 1;
                }
            }
            MemorySegment cpuid = Kvm.Cpuid.allocate(arena, high);
            ErrnoException.check("ioctl(KVM_GET_CPUID2) of vCPU " + id + " with " + high + " entries",
                    Libc.ioctl(fd(), KvmIoctls.KVM_GET_CPUID2, cpuid));
            cpuid.set(JAVA_INT, 0, high);
            return Kvm.Cpuid.read(cpuid);
        }
    }

    private boolean getCpuid2Fits(Arena arena, int room) throws ErrnoException {
        int rc = Libc.ioctl(fd(), KvmIoctls.KVM_GET_CPUID2, Kvm.Cpuid.allocate(arena, room));
        if (rc == -Errno.E2BIG) {
            return false;
        }
        ErrnoException.check("ioctl(KVM_GET_CPUID2) of vCPU " + id + " with room for " + room, rc);
        return true;
    }

    /** {@code KVM_SET_MSRS} (4.19) of a map, in its iteration order: fails unless every MSR was accepted. */
    public void setMsrs(Map<Integer, Long> msrs) throws ErrnoException {
        List<Msr> list = new ArrayList<>(msrs.size());
        msrs.forEach((index, value) -> list.add(new Msr(index, value)));
        setMsrs(list);
    }

    /** {@code KVM_SET_MSRS} (4.19): fails unless every MSR was accepted, naming the first one refused. */
    @Override
    public void setMsrs(List<Msr> msrs) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = msrBuffer(arena, msrs);
            int written = ErrnoException.check("ioctl(KVM_SET_MSRS)", Libc.ioctl(fd(), KvmIoctls.KVM_SET_MSRS, buffer));
            checkAllMsrs("KVM_SET_MSRS accepted", written, msrs.stream().map(Msr::index).toList());
        }
    }

    /** {@code KVM_GET_MSRS} (4.18): fails unless every MSR was read, naming the first one KVM would not read. */
    @Override
    public List<Msr> getMsrs(List<Integer> indices) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = msrBuffer(arena, indices.stream().map(index -> new Msr(index, 0)).toList());
            int read = ErrnoException.check("ioctl(KVM_GET_MSRS)", Libc.ioctl(fd(), KvmIoctls.KVM_GET_MSRS, buffer));
            checkAllMsrs("KVM_GET_MSRS read", read, indices);
            List<Msr> msrs = new ArrayList<>(indices.size());
            for (int i = 0; i < indices.size(); i++) {
                long at = KvmStructs.MSRS_HEADER.byteSize() + i * KvmStructs.MSR_ENTRY.byteSize();
                msrs.add(new Msr(buffer.get(JAVA_INT, at), buffer.get(JAVA_LONG, at + 8)));
            }
            return msrs;
        }
    }

    private static MemorySegment msrBuffer(Arena arena, List<Msr> msrs) {
        long header = KvmStructs.MSRS_HEADER.byteSize();
        long entrySize = KvmStructs.MSR_ENTRY.byteSize();
        MemorySegment buffer = arena.allocate(header + msrs.size() * entrySize, 8);
        buffer.set(JAVA_INT, 0, msrs.size());
        for (int i = 0; i < msrs.size(); i++) {
            long at = header + i * entrySize;
            buffer.set(JAVA_INT, at, msrs.get(i).index());
            buffer.set(JAVA_LONG, at + 8, msrs.get(i).value());
        }
        return buffer;
    }

    /** KVM stops at the first MSR it refuses and returns how many it handled before it. */
    private void checkAllMsrs(String what, int done, List<Integer> indices) {
        if (done != indices.size()) {
            throw new IllegalStateException(what + " " + done + " of " + indices.size() + " MSRs of vCPU " + id
                    + "; it refused MSR 0x" + Integer.toHexString(indices.get(done))
                    + " (this host's KVM does not support it for this guest's CPUID)");
        }
    }

    /** {@code KVM_GET_LAPIC} (4.57) into a 1 KiB {@link KvmStructs#LAPIC_STATE}. */
    @Override
    public void getLapic(MemorySegment lapic) throws ErrnoException {
        structIoctl("KVM_GET_LAPIC", KvmIoctls.KVM_GET_LAPIC, lapic, KvmStructs.LAPIC_STATE.byteSize());
    }

    /** {@code KVM_SET_LAPIC} (4.58) from a 1 KiB {@link KvmStructs#LAPIC_STATE}. */
    @Override
    public void setLapic(MemorySegment lapic) throws ErrnoException {
        structIoctl("KVM_SET_LAPIC", KvmIoctls.KVM_SET_LAPIC, lapic, KvmStructs.LAPIC_STATE.byteSize());
    }

    @Override
    public int xsaveSize() {
        return Math.max(xsaveSize, (int) KvmStructs.XSAVE.byteSize());
    }

    /** {@code KVM_GET_XSAVE2} (4.129) where the VM reported its size, else {@code KVM_GET_XSAVE} (4.42). */
    @Override
    public void getXsave(MemorySegment xsave) throws ErrnoException {
        if (xsaveSize > 0) {
            structIoctl("KVM_GET_XSAVE2", KvmIoctls.KVM_GET_XSAVE2, xsave, xsaveSize());
        } else {
            structIoctl("KVM_GET_XSAVE", KvmIoctls.KVM_GET_XSAVE, xsave, xsaveSize());
        }
    }

    /** {@code KVM_SET_XSAVE} (4.43): KVM reads as many bytes as {@code KVM_GET_XSAVE2} fills. */
    @Override
    public void setXsave(MemorySegment xsave) throws ErrnoException {
        structIoctl("KVM_SET_XSAVE", KvmIoctls.KVM_SET_XSAVE, xsave, xsaveSize());
    }

    /** {@code KVM_GET_XCRS} (4.44). */
    @Override
    public void getXcrs(MemorySegment xcrs) throws ErrnoException {
        structIoctl("KVM_GET_XCRS", KvmIoctls.KVM_GET_XCRS, xcrs, KvmStructs.XCRS.byteSize());
    }

    /** {@code KVM_SET_XCRS} (4.45). */
    @Override
    public void setXcrs(MemorySegment xcrs) throws ErrnoException {
        structIoctl("KVM_SET_XCRS", KvmIoctls.KVM_SET_XCRS, xcrs, KvmStructs.XCRS.byteSize());
    }

    /** {@code KVM_GET_DEBUGREGS} (4.32). */
    @Override
    public void getDebugRegs(MemorySegment debugRegs) throws ErrnoException {
        structIoctl("KVM_GET_DEBUGREGS", KvmIoctls.KVM_GET_DEBUGREGS, debugRegs, KvmStructs.DEBUGREGS.byteSize());
    }

    /** {@code KVM_SET_DEBUGREGS} (4.33). */
    @Override
    public void setDebugRegs(MemorySegment debugRegs) throws ErrnoException {
        structIoctl("KVM_SET_DEBUGREGS", KvmIoctls.KVM_SET_DEBUGREGS, debugRegs, KvmStructs.DEBUGREGS.byteSize());
    }

    /** {@code KVM_GET_VCPU_EVENTS} (4.31). */
    @Override
    public void getVcpuEvents(MemorySegment events) throws ErrnoException {
        structIoctl("KVM_GET_VCPU_EVENTS", KvmIoctls.KVM_GET_VCPU_EVENTS, events, KvmStructs.VCPU_EVENTS.byteSize());
    }

    /** {@code KVM_SET_VCPU_EVENTS} (4.32): restores what {@code flags} marks valid. */
    @Override
    public void setVcpuEvents(MemorySegment events) throws ErrnoException {
        structIoctl("KVM_SET_VCPU_EVENTS", KvmIoctls.KVM_SET_VCPU_EVENTS, events, KvmStructs.VCPU_EVENTS.byteSize());
    }

    /** {@code KVM_GET_TSC_KHZ} (4.56). */
    @Override
    public int getTscKhz() throws ErrnoException {
        return ErrnoException.check("ioctl(KVM_GET_TSC_KHZ) of vCPU " + id, Libc.ioctl(fd(), KvmIoctls.KVM_GET_TSC_KHZ, 0L));
    }

    /** {@code KVM_SET_TSC_KHZ} (4.55). */
    @Override
    public void setTscKhz(int khz) throws ErrnoException {
        ErrnoException.check("ioctl(KVM_SET_TSC_KHZ, " + khz + ") of vCPU " + id,
                Libc.ioctl(fd(), KvmIoctls.KVM_SET_TSC_KHZ, (long) khz));
    }

    /** {@code KVM_KVMCLOCK_CTRL} (4.70): EINVAL means the guest has no kvmclock (yet), nothing to tell it. */
    @Override
    public void kvmclockCtrl() throws ErrnoException {
        int rc = Libc.ioctl(fd(), KvmIoctls.KVM_KVMCLOCK_CTRL, 0L);
        if (rc != -Errno.EINVAL) {
            ErrnoException.check("ioctl(KVM_KVMCLOCK_CTRL) of vCPU " + id, rc);
        }
    }
    /** {@code KVM_MP_STATE_UNINITIALIZED}: an application processor waiting for INIT/SIPI. */
    public static final int MP_STATE_UNINITIALIZED = 1;
    /** {@code KVM_MP_STATE_RUNNABLE}: a vCPU executing guest code. */
    public static final int MP_STATE_RUNNABLE = 0;

    /**
     * {@code KVM_GET_MP_STATE} (4.38): whether the vCPU runs, waits for INIT/SIPI
     * ({@link #MP_STATE_UNINITIALIZED}), is halted, and so on.
     */
    @Override
    public int getMpState() throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(KvmStructs.MP_STATE);
            ErrnoException.check("ioctl(KVM_GET_MP_STATE)", Libc.ioctl(fd(), KvmIoctls.KVM_GET_MP_STATE, state));
            return state.get(JAVA_INT, 0);
        }
    }

    /** {@code KVM_SET_MP_STATE} (4.39). */
    @Override
    public void setMpState(int mpState) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(KvmStructs.MP_STATE);
            state.set(JAVA_INT, 0, mpState);
            ErrnoException.check("ioctl(KVM_SET_MP_STATE, " + mpState + ") of vCPU " + id,
                    Libc.ioctl(fd(), KvmIoctls.KVM_SET_MP_STATE, state));
        }
    }

    /**
     * {@code KVM_SET_SIGNAL_MASK} (4.17): the signals blocked while the vCPU is inside
     * {@code KVM_RUN}, as the kernel's 8-byte sigset.
     */
    public void setSignalMask(long kernelSigset) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = arena.allocate(KvmStructs.SIGNAL_MASK_HEADER.byteSize() + Long.BYTES, 8);
            mask.set(JAVA_INT, 0, Long.BYTES);
            mask.set(JAVA_LONG_UNALIGNED, 4, kernelSigset);
            ErrnoException.check("ioctl(KVM_SET_SIGNAL_MASK)", Libc.ioctl(fd(), KvmIoctls.KVM_SET_SIGNAL_MASK, mask));
        }
    }

    /** Unmaps {@code kvm_run} and closes the fd; the vCPU thread must have stopped. */
    @Override
    public void close() {
        if (isOpen()) {
            Libc.munmap(runAddress, runSize);
        }
        super.close();
    }
}
