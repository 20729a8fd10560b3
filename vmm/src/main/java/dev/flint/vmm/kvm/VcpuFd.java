package dev.flint.vmm.kvm;

import dev.flint.vmm.sys.Errno;
import dev.flint.vmm.sys.ErrnoException;
import dev.flint.vmm.sys.Libc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/** A vCPU fd and its mmapped {@code kvm_run}: one method per vCPU ioctl (KVM API doc, section 4). */
public final class VcpuFd extends FileDescriptor {
    private final int id;
    private final long runAddress;
    private final long runSize;
    private final KvmRun run;

    VcpuFd(int id, int fd, long runAddress, long runSize) {
        super("kvm-vcpu" + id, fd);
        this.id = id;
        this.runAddress = runAddress;
        this.runSize = runSize;
        this.run = new KvmRun(MemorySegment.ofAddress(runAddress).reinterpret(runSize));
    }

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
    public void getRegs(MemorySegment regs) throws ErrnoException {
        ErrnoException.check("ioctl(KVM_GET_REGS)", Libc.ioctl(fd(), KvmIoctls.KVM_GET_REGS, regs));
    }

    /** {@code KVM_SET_REGS} (4.12) from {@code regs} ({@link KvmStructs#REGS}). */
    public void setRegs(MemorySegment regs) throws ErrnoException {
        ErrnoException.check("ioctl(KVM_SET_REGS)", Libc.ioctl(fd(), KvmIoctls.KVM_SET_REGS, regs));
    }

    /** {@code KVM_GET_SREGS} (4.13) into {@code sregs} ({@link KvmStructs#SREGS}). */
    public void getSregs(MemorySegment sregs) throws ErrnoException {
        ErrnoException.check("ioctl(KVM_GET_SREGS)", Libc.ioctl(fd(), KvmIoctls.KVM_GET_SREGS, sregs));
    }

    /** {@code KVM_SET_SREGS} (4.14) from {@code sregs} ({@link KvmStructs#SREGS}). */
    public void setSregs(MemorySegment sregs) throws ErrnoException {
        ErrnoException.check("ioctl(KVM_SET_SREGS)", Libc.ioctl(fd(), KvmIoctls.KVM_SET_SREGS, sregs));
    }

    /** {@code KVM_SET_CPUID2} (4.73): what CPUID returns in this vCPU. */
    public void setCpuid2(List<CpuidEntry> entries) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            ErrnoException.check("ioctl(KVM_SET_CPUID2)",
                    Libc.ioctl(fd(), KvmIoctls.KVM_SET_CPUID2, Kvm.Cpuid.write(arena, entries)));
        }
    }

    /** {@code KVM_SET_MSRS} (4.19): fails unless every MSR was accepted. */
    public void setMsrs(Map<Integer, Long> msrs) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            long header = KvmStructs.MSRS_HEADER.byteSize();
            long entrySize = KvmStructs.MSR_ENTRY.byteSize();
            MemorySegment buffer = arena.allocate(header + msrs.size() * entrySize, 8);
            buffer.set(JAVA_INT, 0, msrs.size());
            int i = 0;
            for (Map.Entry<Integer, Long> msr : msrs.entrySet()) {
                long at = header + i++ * entrySize;
                buffer.set(JAVA_INT, at, msr.getKey());
                buffer.set(JAVA_LONG, at + 8, msr.getValue());
            }
            int written = ErrnoException.check("ioctl(KVM_SET_MSRS)", Libc.ioctl(fd(), KvmIoctls.KVM_SET_MSRS, buffer));
            if (written != msrs.size()) {
                int rejected = buffer.get(JAVA_INT, header + written * entrySize);
                throw new IllegalStateException("KVM_SET_MSRS accepted " + written + " of " + msrs.size()
                        + " MSRs; it rejected MSR 0x" + Integer.toHexString(rejected));
            }
        }
    }

    /** {@code KVM_GET_LAPIC} (4.57) into a 1 KiB {@link KvmStructs#LAPIC_STATE}. */
    public void getLapic(MemorySegment lapic) throws ErrnoException {
        ErrnoException.check("ioctl(KVM_GET_LAPIC)", Libc.ioctl(fd(), KvmIoctls.KVM_GET_LAPIC, lapic));
    }

    /** {@code KVM_SET_LAPIC} (4.58) from a 1 KiB {@link KvmStructs#LAPIC_STATE}. */
    public void setLapic(MemorySegment lapic) throws ErrnoException {
        ErrnoException.check("ioctl(KVM_SET_LAPIC)", Libc.ioctl(fd(), KvmIoctls.KVM_SET_LAPIC, lapic));
    }

    /** {@code KVM_MP_STATE_UNINITIALIZED}: an application processor waiting for INIT/SIPI. */
    public static final int MP_STATE_UNINITIALIZED = 1;
    /** {@code KVM_MP_STATE_RUNNABLE}: a vCPU executing guest code. */
    public static final int MP_STATE_RUNNABLE = 0;

    /**
     * {@code KVM_GET_MP_STATE} (4.38): whether the vCPU runs, waits for INIT/SIPI
     * ({@link #MP_STATE_UNINITIALIZED}), is halted, and so on.
     */
    public int getMpState() throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(JAVA_INT);
            ErrnoException.check("ioctl(KVM_GET_MP_STATE)", Libc.ioctl(fd(), KvmIoctls.KVM_GET_MP_STATE, state));
            return state.get(JAVA_INT, 0);
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
