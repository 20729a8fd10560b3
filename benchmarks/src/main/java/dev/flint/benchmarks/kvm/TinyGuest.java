package dev.flint.benchmarks.kvm;

import dev.flint.vmm.kvm.Kvm;
import dev.flint.vmm.kvm.KvmExit;
import dev.flint.vmm.kvm.Regs;
import dev.flint.vmm.kvm.Sregs;
import dev.flint.vmm.kvm.VcpuFd;
import dev.flint.vmm.kvm.VmFd;
import dev.flint.vmm.memory.GuestMemory;
import dev.flint.vmm.memory.MemoryRange;
import dev.flint.vmm.sys.ErrnoException;

import java.lang.foreign.Arena;
import java.util.List;

/**
 * A VM with 64 KiB of RAM and one vCPU in real mode at a few bytes of code: the smallest guest
 * KVM runs, and one PVM runs natively (docs/PLATFORM.md). No irqchip: nothing here needs
 * interrupts, and each guest ends every step with an {@code out}, never {@code hlt}.
 */
final class TinyGuest implements AutoCloseable {
    static final int PORT = 0x501;
    private static final long CODE = 0x1000;
    private static final long RAM = 0x10000;

    /** mov dx,0x501; mov al,42; out dx,al; hlt */
    static final byte[] OUT_ONCE = bytes(0xba, 0x01, 0x05, 0xb0, 42, 0xee, 0xf4);
    /** mov dx,0x501; again: out dx,al; jmp again */
    static final byte[] OUT_FOREVER = bytes(0xba, 0x01, 0x05, 0xee, 0xeb, 0xfd);

    private final VmFd vm;
    private final GuestMemory memory;
    private final VcpuFd vcpu;

    private TinyGuest(VmFd vm, GuestMemory memory, VcpuFd vcpu) {
        this.vm = vm;
        this.memory = memory;
        this.vcpu = vcpu;
    }

    /** Creates the VM, maps and registers its memory, loads {@code code}, and points a new vCPU at it. */
    static TinyGuest create(Kvm kvm, int vcpuMmapSize, byte[] code) throws ErrnoException {
        VmFd vm = kvm.createVm();
        GuestMemory memory = null;
        VcpuFd vcpu = null;
        try {
            memory = GuestMemory.mapAnonymous(List.of(new MemoryRange(0, RAM)));
            memory.write(CODE, code);
            vm.setUserMemoryRegion(0, 0, 0, RAM, memory.regions().get(0).host().address());
            vcpu = vm.createVcpu(0, vcpuMmapSize);
            try (Arena arena = Arena.ofConfined()) {
                Sregs sregs = new Sregs(arena);
                vcpu.getSregs(sregs.segment());
                sregs.segment(Sregs.Segment.CS, 0, 0xffff, 0, 0xb, true, 0, false, true, false, false, false);
                vcpu.setSregs(sregs.segment());
                vcpu.setRegs(new Regs(arena).set("rip", CODE).set("rflags", 2).segment());
            }
            return new TinyGuest(vm, memory, vcpu);
        } catch (ErrnoException | RuntimeException e) {
            if (vcpu != null) {
                vcpu.close();
            }
            vm.close();
            if (memory != null) {
                memory.close();
            }
            throw e;
        }
    }

    /** Runs the vCPU to its next exit and checks that it is the guest's {@code out} to {@link #PORT}. */
    int runToOut() throws ErrnoException {
        int reason = vcpu.run();
        if (reason != KvmExit.IO || vcpu.runState().ioPort() != PORT) {
            throw new IllegalStateException("expected the guest's out to port 0x501, got exit "
                    + KvmExit.name(reason) + (reason == KvmExit.IO ? " on port 0x" + Integer.toHexString(vcpu.runState().ioPort()) : ""));
        }
        return reason;
    }

    @Override
    public void close() {
        vcpu.close();
        vm.close();
        memory.close();
    }

    private static byte[] bytes(int... values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) values[i];
        }
        return out;
    }
}
