package dev.flint.vmm.snapshot;

import dev.flint.vmm.kvm.CpuidEntry;
import dev.flint.vmm.kvm.Msr;
import dev.flint.vmm.kvm.VcpuStateAccess;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * A vCPU without KVM: each getter fills its buffer with a byte of its own (1 for regs, 2 for
 * sregs...) and each setter keeps what it got; every call is recorded by name, in order.
 */
final class RecordingVcpu implements VcpuStateAccess {
    final List<String> calls = new ArrayList<>();
    final Map<String, byte[]> set = new LinkedHashMap<>();
    List<CpuidEntry> cpuid = List.of(new CpuidEntry(0, 0, 0, 0xd, 0x68747541, 0x444d4163, 0x69746e65));
    List<Msr> msrsSet = List.of();
    int mpState = 3;
    int tscKhz = 2_000_000;
    int xsaveSize = 4096;

    private void get(String name, MemorySegment buffer, int fill) {
        calls.add(name);
        buffer.fill((byte) fill);
    }

    private void put(String name, MemorySegment buffer) {
        calls.add(name);
        set.put(name, buffer.toArray(JAVA_BYTE));
    }

    @Override
    public int id() {
        return 0;
    }

    @Override
    public List<CpuidEntry> getCpuid2() {
        calls.add("getCpuid2");
        return cpuid;
    }

    @Override
    public void setCpuid2(List<CpuidEntry> entries) {
        calls.add("setCpuid2");
        cpuid = entries;
    }

    @Override
    public int getMpState() {
        calls.add("getMpState");
        return mpState;
    }

    @Override
    public void setMpState(int state) {
        calls.add("setMpState");
        mpState = state;
    }

    @Override
    public void getRegs(MemorySegment regs) {
        get("getRegs", regs, 1);
    }

    @Override
    public void setRegs(MemorySegment regs) {
        put("setRegs", regs);
    }

    @Override
    public void getSregs(MemorySegment sregs) {
        get("getSregs", sregs, 2);
    }

    @Override
    public void setSregs(MemorySegment sregs) {
        put("setSregs", sregs);
    }

    @Override
    public int xsaveSize() {
        return xsaveSize;
    }

    @Override
    public void getXsave(MemorySegment xsave) {
        get("getXsave", xsave, 3);
    }

    @Override
    public void setXsave(MemorySegment xsave) {
        put("setXsave", xsave);
    }

    @Override
    public void getXcrs(MemorySegment xcrs) {
        get("getXcrs", xcrs, 4);
    }

    @Override
    public void setXcrs(MemorySegment xcrs) {
        put("setXcrs", xcrs);
    }

    @Override
    public void getDebugRegs(MemorySegment debugRegs) {
        get("getDebugRegs", debugRegs, 5);
    }

    @Override
    public void setDebugRegs(MemorySegment debugRegs) {
        put("setDebugRegs", debugRegs);
    }

    @Override
    public void getLapic(MemorySegment lapic) {
        get("getLapic", lapic, 6);
    }

    @Override
    public void setLapic(MemorySegment lapic) {
        put("setLapic", lapic);
    }

    @Override
    public List<Msr> getMsrs(List<Integer> indices) {
        calls.add("getMsrs");
        return indices.stream().map(index -> new Msr(index, index * 3L)).toList();
    }

    @Override
    public void setMsrs(List<Msr> msrs) {
        calls.add("setMsrs");
        msrsSet = msrs;
    }

    @Override
    public void getVcpuEvents(MemorySegment events) {
        get("getVcpuEvents", events, 7);
    }

    @Override
    public void setVcpuEvents(MemorySegment events) {
        put("setVcpuEvents", events);
    }

    @Override
    public int getTscKhz() {
        calls.add("getTscKhz");
        return tscKhz;
    }

    @Override
    public void setTscKhz(int khz) {
        calls.add("setTscKhz");
        tscKhz = khz;
    }

    @Override
    public void kvmclockCtrl() {
        calls.add("kvmclockCtrl");
    }
}
