package dev.flint.vmm;

import dev.flint.vmm.boot.CommandLine;
import dev.flint.vmm.boot.BootLayout;
import dev.flint.vmm.boot.E820Entry;
import dev.flint.vmm.boot.Gdt;
import dev.flint.vmm.boot.Initrd;
import dev.flint.vmm.boot.InvalidKernelException;
import dev.flint.vmm.boot.KernelImage;
import dev.flint.vmm.boot.KernelLoader;
import dev.flint.vmm.boot.PageTables;
import dev.flint.vmm.boot.ZeroPage;
import dev.flint.vmm.boot.mptable.MpTable;
import dev.flint.vmm.cpu.BootMsrs;
import dev.flint.vmm.cpu.CpuTopology;
import dev.flint.vmm.cpu.CpuidNormalizer;
import dev.flint.vmm.cpu.Lapic;
import dev.flint.vmm.cpu.SupportedCpuid;
import dev.flint.vmm.cpu.LongMode;
import dev.flint.vmm.kvm.CpuidEntry;
import dev.flint.vmm.kvm.KvmStructs;
import dev.flint.vmm.kvm.Regs;
import dev.flint.vmm.kvm.Sregs;
import dev.flint.vmm.kvm.VcpuFd;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The boot half of making a VM: loads the kernel and initramfs into an assembled VM's memory,
 * writes the boot structures (command line, zero page, GDT, page tables, MP table) and sets every
 * vCPU's CPUID, MSRs and local APIC, and vCPU 0's registers at the kernel's 64-bit entry point.
 * A restore skips all of it: memory and registers come from the snapshot.
 */
final class KernelBoot {
    private KernelBoot() {
    }

    static void prepare(VmAssembly vm, BootTimeline timeline) throws IOException, InvalidKernelException,
            dev.flint.vmm.sys.ErrnoException {
        VmConfig config = vm.config;
        // Booting maps fresh anonymous memory (VirtualMachine.start): it reads as zero.
        KernelImage kernel = KernelLoader.loadIntoFreshMemory(config.kernel(), vm.memory);
        timeline.mark("load kernel");
        int cmdlineBytes = CommandLine.write(vm.memory, config.cmdline() + vm.deviceArgs, kernel.cmdlineLimit());
        Initrd initrd = config.initrd().isPresent() ? Initrd.load(config.initrd().get(), vm.memory, kernel) : null;
        timeline.mark("load initramfs");
        List<E820Entry> e820 = E820Entry.mapFor(vm.memory);
        ZeroPage.write(vm.memory, kernel, BootLayout.CMDLINE_ADDRESS, cmdlineBytes, initrd, e820);
        Gdt.write(vm.memory);
        long cr3 = PageTables.write(vm.memory);
        CpuTopology topology = new CpuTopology(config.vcpus());
        List<CpuidEntry> supportedCpuid = SupportedCpuid.of(vm.kvm);
        writeMpTable(vm, CpuidNormalizer.forVcpu(supportedCpuid, topology, 0), e820);
        timeline.mark("boot structures");
        for (VcpuFd vcpu : vm.vcpuFds) {
            configureVcpu(vcpu, CpuidNormalizer.forVcpu(supportedCpuid, topology, vcpu.id()), kernel.entry(), cr3);
        }
        timeline.mark("vCPUs");
    }

    /** The MP table lists every vCPU with the signature and features vCPU 0's CPUID reports. */
    private static void writeMpTable(VmAssembly vm, List<CpuidEntry> bootCpuid, List<E820Entry> e820) {
        CpuidEntry leaf1 = bootCpuid.stream().filter(e -> e.function() == 1).findFirst()
                .orElseThrow(() -> new IllegalStateException("KVM_GET_SUPPORTED_CPUID has no leaf 1;"
                        + " this KVM cannot describe a CPU to the guest"));
        MpTable.forMachine(vm.config.vcpus(), leaf1.eax(), leaf1.edx(), vm.deviceGsis).write(vm.memory, e820);
    }

    private static void configureVcpu(VcpuFd vcpu, List<CpuidEntry> cpuid, long entry, long cr3)
            throws dev.flint.vmm.sys.ErrnoException {
        vcpu.setCpuid2(cpuid);
        vcpu.setMsrs(BootMsrs.values());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment lapic = arena.allocate(KvmStructs.LAPIC_STATE);
            vcpu.getLapic(lapic);
            Lapic.configureVirtualWire(lapic);
            vcpu.setLapic(lapic);
            if (vcpu.id() == 0) {
                // Application processors wait for INIT/SIPI from the boot CPU, in the kernel's LAPIC.
                Sregs sregs = new Sregs(arena);
                vcpu.getSregs(sregs.segment());
                LongMode.configure(sregs, cr3);
                vcpu.setSregs(sregs.segment());
                Regs regs = new Regs(arena);
                LongMode.configure(regs, entry);
                vcpu.setRegs(regs.segment());
            }
        }
    }
}
