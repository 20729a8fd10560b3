package dev.flint.vmm.kvm;

import dev.flint.vmm.sys.Errno;
import dev.flint.vmm.sys.ErrnoException;
import dev.flint.vmm.sys.Libc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static dev.flint.vmm.kvm.KvmStructs.CPUID2_HEADER;
import static dev.flint.vmm.kvm.KvmStructs.CPUID_ENTRY2;
import static dev.flint.vmm.kvm.KvmStructs.MSR_LIST_HEADER;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/** The {@code /dev/kvm} system fd: one method per system ioctl (KVM API doc, section 4). */
public final class Kvm extends FileDescriptor {
    public static final String DEVICE = "/dev/kvm";
    /** {@code KVM_MAX_CPUID_ENTRIES} of the kernel: no vCPU has more. */
    public static final int MAX_CPUID_ENTRIES = 256;
    /** More MSRs than any KVM reports (about 100 today); a bound on what the kernel may claim. */
    static final int MAX_MSR_INDICES = 4096;

    private Kvm(int fd) {
        super(DEVICE, fd);
    }

    /** Opens {@code /dev/kvm} read-write and checks the API version is 12. */
    public static Kvm open() throws ErrnoException {
        int fd = ErrnoException.check("open(" + DEVICE + ")", Libc.open(DEVICE, Libc.O_RDWR | Libc.O_CLOEXEC));
        Kvm kvm = new Kvm(fd);
        int version = kvm.apiVersion();
        if (version != KvmIoctls.KVM_API_VERSION) {
            kvm.close();
            throw new IllegalStateException("/dev/kvm speaks KVM API version " + version
                    + ", Flint needs " + KvmIoctls.KVM_API_VERSION);
        }
        return kvm;
    }

    /** {@code KVM_GET_API_VERSION} (4.1). */
    public int apiVersion() throws ErrnoException {
        return ErrnoException.check("ioctl(KVM_GET_API_VERSION)", Libc.ioctl(fd(), KvmIoctls.KVM_GET_API_VERSION, 0L));
    }

    /** {@code KVM_CHECK_EXTENSION} (4.4): 0 when unsupported, else a capability-specific value. */
    public int checkExtension(int capability) throws ErrnoException {
        return ErrnoException.check("ioctl(KVM_CHECK_EXTENSION)",
                Libc.ioctl(fd(), KvmIoctls.KVM_CHECK_EXTENSION, capability));
    }

    /** {@code KVM_GET_VCPU_MMAP_SIZE} (4.5): bytes to mmap from a vCPU fd for its {@code kvm_run}. */
    public int vcpuMmapSize() throws ErrnoException {
        return ErrnoException.check("ioctl(KVM_GET_VCPU_MMAP_SIZE)",
                Libc.ioctl(fd(), KvmIoctls.KVM_GET_VCPU_MMAP_SIZE, 0L));
    }

    /** {@code KVM_GET_SUPPORTED_CPUID} (4.46): the CPUID leaves KVM can present to a guest. */
    public List<CpuidEntry> supportedCpuid() throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cpuid = Cpuid.allocate(arena, MAX_CPUID_ENTRIES);
            int rc = Libc.ioctl(fd(), KvmIoctls.KVM_GET_SUPPORTED_CPUID, cpuid);
            if (rc == -Errno.E2BIG) {
                throw new ErrnoException("ioctl(KVM_GET_SUPPORTED_CPUID) with " + MAX_CPUID_ENTRIES + " entries", Errno.E2BIG);
            }
            ErrnoException.check("ioctl(KVM_GET_SUPPORTED_CPUID)", rc);
            return Cpuid.read(cpuid);
        }
    }

    /**
     * {@code KVM_GET_MSR_INDEX_LIST} (4.3): every MSR this KVM can save and restore for a guest
     * (those of {@code msrs_to_save} and the ones it emulates).
     */
    public List<Integer> msrIndexList() throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment list = arena.allocate(MSR_LIST_HEADER.byteSize() + (long) MAX_MSR_INDICES * Integer.BYTES, 4);
            list.set(JAVA_INT, 0, MAX_MSR_INDICES);
            ErrnoException.check("ioctl(KVM_GET_MSR_INDEX_LIST) with room for " + MAX_MSR_INDICES,
                    Libc.ioctl(fd(), KvmIoctls.KVM_GET_MSR_INDEX_LIST, list));
            int count = list.get(JAVA_INT, 0);
            if (count < 0 || count > MAX_MSR_INDICES) {
                throw new IllegalStateException("KVM_GET_MSR_INDEX_LIST reported " + count + " MSRs");
            }
            List<Integer> indices = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                indices.add(list.get(JAVA_INT, MSR_LIST_HEADER.byteSize() + (long) i * Integer.BYTES));
            }
            return List.copyOf(indices);
        }
    }

    /** {@code KVM_CREATE_VM} (4.2) with the default machine type. */
    public VmFd createVm() throws ErrnoException {
        int vmFd = ErrnoException.check("ioctl(KVM_CREATE_VM)", Libc.ioctl(fd(), KvmIoctls.KVM_CREATE_VM, 0L));
        return new VmFd(vmFd);
    }

    /** Reads and writes {@code struct kvm_cpuid2} buffers. */
    static final class Cpuid {
        private Cpuid() {
        }

        /** A {@code kvm_cpuid2} with room for {@code capacity} entries, {@code nent} saying so. */
        static MemorySegment allocate(Arena arena, int capacity) {
            MemorySegment cpuid2 = arena.allocate(CPUID2_HEADER.byteSize() + capacity * CPUID_ENTRY2.byteSize(), 8);
            cpuid2.set(JAVA_INT, 0, capacity);
            return cpuid2;
        }

        static List<CpuidEntry> read(MemorySegment cpuid2) {
            int count = cpuid2.get(JAVA_INT, 0);
            long capacity = (cpuid2.byteSize() - CPUID2_HEADER.byteSize()) / CPUID_ENTRY2.byteSize();
            if (count < 0 || count > capacity) {
                throw new IllegalStateException("KVM reported " + count + " CPUID entries in room for " + capacity);
            }
            List<CpuidEntry> entries = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                MemorySegment e = cpuid2.asSlice(CPUID2_HEADER.byteSize() + i * CPUID_ENTRY2.byteSize(), CPUID_ENTRY2.byteSize());
                entries.add(new CpuidEntry(e.get(JAVA_INT, 0), e.get(JAVA_INT, 4), e.get(JAVA_INT, 8),
                        e.get(JAVA_INT, 12), e.get(JAVA_INT, 16), e.get(JAVA_INT, 20), e.get(JAVA_INT, 24)));
            }
            return entries;
        }

        static MemorySegment write(Arena arena, List<CpuidEntry> entries) {
            MemorySegment cpuid2 = allocate(arena, entries.size());
            for (int i = 0; i < entries.size(); i++) {
                CpuidEntry entry = entries.get(i);
                MemorySegment e = cpuid2.asSlice(CPUID2_HEADER.byteSize() + i * CPUID_ENTRY2.byteSize(), CPUID_ENTRY2.byteSize());
                e.set(JAVA_INT, 0, entry.function());
                e.set(JAVA_INT, 4, entry.index());
                e.set(JAVA_INT, 8, entry.flags());
                e.set(JAVA_INT, 12, entry.eax());
                e.set(JAVA_INT, 16, entry.ebx());
                e.set(JAVA_INT, 20, entry.ecx());
                e.set(JAVA_INT, 24, entry.edx());
            }
            return cpuid2;
        }
    }
}
