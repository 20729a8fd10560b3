package dev.flint.vmm.snapshot;

import dev.flint.vmm.kvm.CpuidEntry;
import dev.flint.vmm.kvm.Kvm;
import dev.flint.vmm.kvm.KvmStructs;
import dev.flint.vmm.kvm.Msr;
import dev.flint.vmm.kvm.VcpuStateAccess;
import dev.flint.vmm.sys.ErrnoException;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;


/**
 * Everything KVM holds for one vCPU, as Firecracker's {@code VcpuState} saves it: the CPUID it
 * was given, MP state, general and special registers, the XSAVE area (FPU, SSE, AVX...), XCRs,
 * debug registers, the local APIC page, the MSRs of {@link dev.flint.vmm.cpu.MsrsToSave},
 * pending events and the TSC frequency. The struct fields hold the KVM structs' bytes as the
 * ioctls return them ({@link KvmStructs} layouts); the vCPU must be paused while it is captured.
 *
 * @param tscKhz the guest TSC's frequency, 0 where the host could not say
 */
public record VcpuState(List<CpuidEntry> cpuid, int mpState, byte[] regs, byte[] sregs, byte[] xsave, byte[] xcrs,
                        byte[] debugRegs, byte[] lapic, List<Msr> msrs, byte[] vcpuEvents, int tscKhz) {
    /** Far more MSRs than KVM reports (about 100): a longer list is a corrupt snapshot. */
    public static final int MAX_MSRS = 1024;
    /** The XSAVE area with every feature the x86 architecture defines today (AMX included) fits in 64 KiB. */
    public static final int MAX_XSAVE_BYTES = 64 * 1024;
    /** TSC frequencies within this many parts per million are the same clock (calibration differs between boots). */
    static final long TSC_TOLERANCE_PPM = 250;

    public VcpuState {
        cpuid = List.copyOf(cpuid);
        msrs = List.copyOf(msrs);
    }

    /**
     * Reads the state of a paused {@code vcpu}, its MSRs those of {@code msrIndices}.
     *
     * @throws IllegalStateException when KVM would not read one of the MSRs (the message names it)
     */
    public static VcpuState capture(VcpuStateAccess vcpu, List<Integer> msrIndices) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            int mpState = vcpu.getMpState();
            byte[] regs = StructBytes.fetch(arena, KvmStructs.REGS.byteSize(), vcpu::getRegs);
            byte[] sregs = StructBytes.fetch(arena, KvmStructs.SREGS.byteSize(), vcpu::getSregs);
            byte[] xsave = StructBytes.fetch(arena, vcpu.xsaveSize(), vcpu::getXsave);
            byte[] xcrs = StructBytes.fetch(arena, KvmStructs.XCRS.byteSize(), vcpu::getXcrs);
            byte[] debugRegs = StructBytes.fetch(arena, KvmStructs.DEBUGREGS.byteSize(), vcpu::getDebugRegs);
            byte[] lapic = StructBytes.fetch(arena, KvmStructs.LAPIC_STATE.byteSize(), vcpu::getLapic);
            List<Msr> msrs = vcpu.getMsrs(msrIndices);
            byte[] events = StructBytes.fetch(arena, KvmStructs.VCPU_EVENTS.byteSize(), vcpu::getVcpuEvents);
            return new VcpuState(vcpu.getCpuid2(), mpState, regs, sregs, xsave, xcrs, debugRegs, lapic, msrs, events,
                    tscKhz(vcpu));
        }
    }

    private static int tscKhz(VcpuStateAccess vcpu) {
        try {
            return vcpu.getTscKhz();
        } catch (ErrnoException e) {
            return 0; // No KVM_CAP_GET_TSC_KHZ: a restore then keeps the new host's frequency.
        }
    }

    /**
     * Sets this state on {@code vcpu}, a new vCPU that has not run, in the order KVM needs
     * (docs/SNAPSHOTS.md): the TSC frequency first where it differs (so IA32_TSC is written at the
     * saved rate), then CPUID, MP state, regs, sregs, XSAVE, XCRs, debug registers, LAPIC (after
     * sregs, which set the APIC base; before the MSRs, for the TSC deadline), MSRs, vCPU events
     * (after regs, which clear pending exceptions), and last {@code KVM_KVMCLOCK_CTRL}.
     *
     * @throws SnapshotException when this host cannot take the state: a larger XSAVE area than its
     *         KVM has, or another TSC frequency it cannot scale to
     */
    public void restoreInto(VcpuStateAccess vcpu) throws ErrnoException, SnapshotException {
        if (xsave.length > vcpu.xsaveSize()) {
            throw new SnapshotException("the snapshot's XSAVE area of vCPU " + vcpu.id() + " is " + xsave.length
                    + " bytes, this host's KVM holds " + vcpu.xsaveSize() + ": restore it on a host with the same CPU features");
        }
        restoreTscKhz(vcpu);
        try (Arena arena = Arena.ofConfined()) {
            vcpu.setCpuid2(cpuid);
            vcpu.setMpState(mpState);
            vcpu.setRegs(StructBytes.copyIn(arena, regs, regs.length));
            vcpu.setSregs(StructBytes.copyIn(arena, sregs, sregs.length));
            vcpu.setXsave(StructBytes.copyIn(arena, xsave, vcpu.xsaveSize()));
            vcpu.setXcrs(StructBytes.copyIn(arena, xcrs, xcrs.length));
            vcpu.setDebugRegs(StructBytes.copyIn(arena, debugRegs, debugRegs.length));
            vcpu.setLapic(StructBytes.copyIn(arena, lapic, lapic.length));
            vcpu.setMsrs(msrs);
            vcpu.setVcpuEvents(StructBytes.copyIn(arena, vcpuEvents, vcpuEvents.length));
            vcpu.kvmclockCtrl();
        }
    }

    private void restoreTscKhz(VcpuStateAccess vcpu) throws ErrnoException, SnapshotException {
        if (tscKhz == 0) {
            return;
        }
        int current = vcpu.getTscKhz();
        if (Math.abs((long) current - tscKhz) * 1_000_000 <= TSC_TOLERANCE_PPM * tscKhz) {
            return;
        }
        try {
            vcpu.setTscKhz(tscKhz);
        } catch (ErrnoException e) {
            throw new SnapshotException("the snapshot's guest TSC runs at " + tscKhz + " kHz, this host's at " + current
                    + " kHz and its KVM cannot scale it (" + e.getMessage() + "): restore it on a host with the same TSC"
                    + " frequency or TSC scaling", e);
        }
    }

    public void write(StateOutput out) {
        out.writeInt(cpuid.size());
        for (CpuidEntry e : cpuid) {
            out.writeInt(e.function()).writeInt(e.index()).writeInt(e.flags())
                    .writeInt(e.eax()).writeInt(e.ebx()).writeInt(e.ecx()).writeInt(e.edx());
        }
        out.writeInt(mpState).writeBytes(regs).writeBytes(sregs).writeBytes(xsave).writeBytes(xcrs)
                .writeBytes(debugRegs).writeBytes(lapic);
        out.writeInt(msrs.size());
        for (Msr msr : msrs) {
            out.writeInt(msr.index()).writeLong(msr.value());
        }
        out.writeBytes(vcpuEvents).writeInt(tscKhz);
    }

    /** Reads what {@link #write} wrote; every count and size is checked against the KVM structs. */
    public static VcpuState read(StateInput in) throws SnapshotException {
        int cpuidCount = in.readInt(0, Kvm.MAX_CPUID_ENTRIES, "the number of CPUID entries");
        List<CpuidEntry> cpuid = new ArrayList<>(cpuidCount);
        for (int i = 0; i < cpuidCount; i++) {
            cpuid.add(new CpuidEntry(in.readInt(), in.readInt(), in.readInt(), in.readInt(), in.readInt(), in.readInt(),
                    in.readInt()));
        }
        int mpState = in.readInt();
        byte[] regs = StructBytes.readStruct(in, KvmStructs.REGS.byteSize());
        byte[] sregs = StructBytes.readStruct(in, KvmStructs.SREGS.byteSize());
        byte[] xsave = in.readBytes(MAX_XSAVE_BYTES);
        if (xsave.length < KvmStructs.XSAVE.byteSize()) {
            throw new SnapshotException("the saved XSAVE area is " + xsave.length + " bytes, less than KVM's "
                    + KvmStructs.XSAVE.byteSize() + ": the snapshot is corrupt; take it again");
        }
        byte[] xcrs = StructBytes.readStruct(in, KvmStructs.XCRS.byteSize());
        byte[] debugRegs = StructBytes.readStruct(in, KvmStructs.DEBUGREGS.byteSize());
        byte[] lapic = StructBytes.readStruct(in, KvmStructs.LAPIC_STATE.byteSize());
        int msrCount = in.readInt(0, MAX_MSRS, "the number of MSRs");
        List<Msr> msrs = new ArrayList<>(msrCount);
        for (int i = 0; i < msrCount; i++) {
            msrs.add(new Msr(in.readInt(), in.readLong()));
        }
        byte[] events = StructBytes.readStruct(in, KvmStructs.VCPU_EVENTS.byteSize());
        int tscKhz = in.readInt(0, Integer.MAX_VALUE, "the TSC frequency in kHz");
        return new VcpuState(cpuid, mpState, regs, sregs, xsave, xcrs, debugRegs, lapic, msrs, events, tscKhz);
    }
}
