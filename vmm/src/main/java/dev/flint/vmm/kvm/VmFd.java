package dev.flint.vmm.kvm;

import dev.flint.vmm.sys.ErrnoException;
import dev.flint.vmm.sys.Libc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.util.OptionalLong;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/** A VM fd from {@code KVM_CREATE_VM}: one method per VM ioctl Flint uses (KVM API doc, section 4). */
public final class VmFd extends FileDescriptor {
    private int xsaveSize = -1;

    VmFd(int fd) {
        super("kvm-vm", fd);
    }

    /** {@code KVM_CHECK_EXTENSION} (4.4) on this VM: some capabilities answer per VM. */
    public int checkExtension(int capability) throws ErrnoException {
        return ErrnoException.check("ioctl(KVM_CHECK_EXTENSION) on the VM",
                Libc.ioctl(fd(), KvmIoctls.KVM_CHECK_EXTENSION, capability));
    }

    /** {@code KVM_GET_PIT2} (4.64) into {@link KvmStructs#PIT_STATE2}; needs {@link #createPit2}. */
    public void getPit2(MemorySegment pit) throws ErrnoException {
        structIoctl("KVM_GET_PIT2", KvmIoctls.KVM_GET_PIT2, pit, KvmStructs.PIT_STATE2.byteSize());
    }

    /** {@code KVM_SET_PIT2} (4.65) from {@link KvmStructs#PIT_STATE2}. */
    public void setPit2(MemorySegment pit) throws ErrnoException {
        structIoctl("KVM_SET_PIT2", KvmIoctls.KVM_SET_PIT2, pit, KvmStructs.PIT_STATE2.byteSize());
    }

    /** {@code KVM_GET_CLOCK} (4.28): the VM's kvmclock, in nanoseconds. */
    public long getClock() throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment clock = arena.allocate(KvmStructs.CLOCK_DATA);
            structIoctl("KVM_GET_CLOCK", KvmIoctls.KVM_GET_CLOCK, clock, KvmStructs.CLOCK_DATA.byteSize());
            return clock.get(JAVA_LONG, 0);
        }
    }

    /**
     * {@code KVM_SET_CLOCK} (4.29) with no flags: the guest's kvmclock reads {@code nanoseconds}
     * now and runs on from there, so time the VM spent saved does not count (without
     * {@code KVM_CLOCK_REALTIME}, which would add the host's real time since the save). The flags
     * {@code KVM_GET_CLOCK} reports describe the host and are not restored.
     */
    public void setClock(long nanoseconds) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment clock = arena.allocate(KvmStructs.CLOCK_DATA);
            clock.set(JAVA_LONG, 0, nanoseconds);
            structIoctl("KVM_SET_CLOCK", KvmIoctls.KVM_SET_CLOCK, clock, KvmStructs.CLOCK_DATA.byteSize());
        }
    }

    /**
     * {@code KVM_GET_IRQCHIP} (4.26): the 512-byte state of chip {@code chipId}
     * ({@code KVM_IRQCHIP_PIC_MASTER}, {@code _PIC_SLAVE} or {@code _IOAPIC}) into {@code chip}.
     */
    public void getIrqchip(int chipId, MemorySegment chip) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment request = irqchip(arena, chipId, chip);
            structIoctl("KVM_GET_IRQCHIP(" + chipId + ")", KvmIoctls.KVM_GET_IRQCHIP, request, KvmStructs.IRQCHIP.byteSize());
            MemorySegment.copy(request, CHIP_OFFSET, chip, 0, CHIP_BYTES);
        }
    }

    /** {@code KVM_SET_IRQCHIP} (4.27): chip {@code chipId} from its 512-byte state. */
    public void setIrqchip(int chipId, MemorySegment chip) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment request = irqchip(arena, chipId, chip);
            MemorySegment.copy(chip, 0, request, CHIP_OFFSET, CHIP_BYTES);
            structIoctl("KVM_SET_IRQCHIP(" + chipId + ")", KvmIoctls.KVM_SET_IRQCHIP, request, KvmStructs.IRQCHIP.byteSize());
        }
    }

    private static final long CHIP_OFFSET = KvmStructs.IRQCHIP.byteOffset(MemoryLayout.PathElement.groupElement("chip"));
    /** Bytes of the {@code kvm_irqchip} union: a PIC's or the IOAPIC's state. */
    public static final long CHIP_BYTES = KvmStructs.IRQCHIP.byteSize() - CHIP_OFFSET;

    private static MemorySegment irqchip(Arena arena, int chipId, MemorySegment chip) {
        if (chip.byteSize() != CHIP_BYTES) {
            throw new IllegalArgumentException("an irqchip state is " + CHIP_BYTES + " bytes, got " + chip.byteSize());
        }
        MemorySegment request = arena.allocate(KvmStructs.IRQCHIP);
        request.set(JAVA_INT, 0, chipId);
        return request;
    }
    /** What {@code KVM_CAP_XSAVE2} reports for this VM (0 where KVM lacks it), asked once. */
    private synchronized int xsaveSize() throws ErrnoException {
        if (xsaveSize < 0) {
            xsaveSize = checkExtension(KvmIoctls.KVM_CAP_XSAVE2);
        }
        return xsaveSize;
    }

    /**
     * {@code KVM_SET_USER_MEMORY_REGION} (4.35): maps {@code size} bytes of host memory at
     * {@code hostAddress} into the guest at {@code guestPhysAddress}.
     */
    public void setUserMemoryRegion(int slot, int flags, long guestPhysAddress, long size, long hostAddress)
            throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment region = arena.allocate(KvmStructs.USERSPACE_MEMORY_REGION);
            region.set(JAVA_INT, 0, slot);
            region.set(JAVA_INT, 4, flags);
            region.set(JAVA_LONG, 8, guestPhysAddress);
            region.set(JAVA_LONG, 16, size);
            region.set(JAVA_LONG, 24, hostAddress);
            ErrnoException.check("ioctl(KVM_SET_USER_MEMORY_REGION)",
                    Libc.ioctl(fd(), KvmIoctls.KVM_SET_USER_MEMORY_REGION, region));
        }
    }

    /** {@code KVM_SET_TSS_ADDR} (4.48): three pages the VMX code may use for real-mode emulation. */
    public void setTssAddr(long address) throws ErrnoException {
        ErrnoException.check("ioctl(KVM_SET_TSS_ADDR)", Libc.ioctl(fd(), KvmIoctls.KVM_SET_TSS_ADDR, address));
    }

    /** {@code KVM_SET_IDENTITY_MAP_ADDR} (4.57): one page for the VMX real-mode identity map. */
    public void setIdentityMapAddr(long address) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            ErrnoException.check("ioctl(KVM_SET_IDENTITY_MAP_ADDR)",
                    Libc.ioctl(fd(), KvmIoctls.KVM_SET_IDENTITY_MAP_ADDR, arena.allocateFrom(JAVA_LONG, address)));
        }
    }

    /** {@code KVM_CREATE_IRQCHIP} (4.24): PIC, IOAPIC and local APICs emulated in the kernel. */
    public void createIrqchip() throws ErrnoException {
        ErrnoException.check("ioctl(KVM_CREATE_IRQCHIP)", Libc.ioctl(fd(), KvmIoctls.KVM_CREATE_IRQCHIP, 0L));
    }

    /** {@code KVM_CREATE_PIT2} (4.58): the i8254 timer emulated in the kernel. */
    public void createPit2(int flags) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment config = arena.allocate(KvmStructs.PIT_CONFIG);
            config.set(JAVA_INT, 0, flags);
            ErrnoException.check("ioctl(KVM_CREATE_PIT2)", Libc.ioctl(fd(), KvmIoctls.KVM_CREATE_PIT2, config));
        }
    }

    /**
     * {@code KVM_IOEVENTFD} (4.59): a guest write of {@code length} bytes at {@code address}
     * (port I/O when {@code pio}) signals {@code eventFd} inside KVM instead of exiting; with a
     * {@code datamatch} only writes of that value do.
     */
    public void ioeventfd(int eventFd, long address, int length, boolean pio, OptionalLong datamatch, boolean assign)
            throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment request = arena.allocate(KvmStructs.IOEVENTFD);
            int flags = (pio ? KvmIoctls.KVM_IOEVENTFD_FLAG_PIO : 0)
                    | (datamatch.isPresent() ? KvmIoctls.KVM_IOEVENTFD_FLAG_DATAMATCH : 0)
                    | (assign ? 0 : KvmIoctls.KVM_IOEVENTFD_FLAG_DEASSIGN);
            request.set(JAVA_LONG, 0, datamatch.orElse(0));
            request.set(JAVA_LONG, 8, address);
            request.set(JAVA_INT, 16, length);
            request.set(JAVA_INT, 20, eventFd);
            request.set(JAVA_INT, 24, flags);
            ErrnoException.check("ioctl(KVM_IOEVENTFD)", Libc.ioctl(fd(), KvmIoctls.KVM_IOEVENTFD, request));
        }
    }

    /** {@code KVM_IRQFD} (4.75): signalling {@code eventFd} raises {@code gsi} (edge) in the in-kernel irqchip. */
    public void irqfd(int eventFd, int gsi, boolean assign) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment request = arena.allocate(KvmStructs.IRQFD);
            request.set(JAVA_INT, 0, eventFd);
            request.set(JAVA_INT, 4, gsi);
            request.set(JAVA_INT, 8, assign ? 0 : KvmIoctls.KVM_IRQFD_FLAG_DEASSIGN);
            ErrnoException.check("ioctl(KVM_IRQFD)", Libc.ioctl(fd(), KvmIoctls.KVM_IRQFD, request));
        }
    }

    /**
     * {@code KVM_CREATE_VCPU} (4.7), then maps its {@code kvm_run} area of {@code mmapSize} bytes
     * (from {@link Kvm#vcpuMmapSize()}).
     */
    public VcpuFd createVcpu(int id, int mmapSize) throws ErrnoException {
        int vcpuFd = ErrnoException.check("ioctl(KVM_CREATE_VCPU)", Libc.ioctl(fd(), KvmIoctls.KVM_CREATE_VCPU, id));
        long address = Libc.mmap(mmapSize, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, vcpuFd);
        if (address < 0) {
            Libc.close(vcpuFd);
            throw new ErrnoException("mmap(kvm_run of vCPU " + id + ")", (int) -address);
        }
        try {
            return new VcpuFd(id, vcpuFd, address, mmapSize, xsaveSize());
        } catch (ErrnoException e) {
            Libc.munmap(address, mmapSize);
            Libc.close(vcpuFd);
            throw e;
        }
    }
}
