package dev.flint.vmm.cpu;

import dev.flint.vmm.kvm.CpuidEntry;
import dev.flint.vmm.kvm.Regs;
import dev.flint.vmm.kvm.Sregs;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class CpuSetupTest {
    private static final List<CpuidEntry> SUPPORTED = List.of(
            new CpuidEntry(0x0, 0, 0, 0xd, 0x68747541, 0x444d4163, 0x69746e65),
            new CpuidEntry(0x1, 0, 0, 0x00a00f11, 0x00000800, 0x7ed8320b | (1 << 15), 0x178bfbff),
            new CpuidEntry(0x6, 0, 0, 0x4 | 0x2, 0, 1, 0),
            new CpuidEntry(0xb, 0, 1, 1, 1, 0x100, 0),
            new CpuidEntry(0x8000_001e, 0, 0, 0, 0x100, 0, 0));

    @Test
    void cpuidSetsHypervisorBitApicIdAndCount() {
        List<CpuidEntry> cpuid = CpuidNormalizer.forVcpu(SUPPORTED, 2, 4);
        CpuidEntry leaf1 = cpuid.get(1);
        assertEquals(1 << 31, leaf1.ecx() & (1 << 31), "hypervisor bit");
        assertEquals(0, leaf1.ecx() & (1 << 15), "PDCM cleared");
        assertEquals(2, leaf1.ebx() >>> 24, "APIC id");
        assertEquals(4, (leaf1.ebx() >> 16) & 0xff, "logical CPUs");
        assertEquals(0x08, (leaf1.ebx() >> 8) & 0xff, "CLFLUSH size kept");
        assertEquals(1 << 28, leaf1.edx() & (1 << 28), "HTT with several CPUs");
        assertEquals(new CpuidEntry(0x6, 0, 0, 0x4, 0, 0, 0), cpuid.get(2), "power management: ARAT alone kept");
        assertEquals(2, CpuidTopologyTest.leaf(cpuid, 0xb, 0).edx(), "x2APIC id in leaf 0xb");
        assertEquals(2, CpuidTopologyTest.leaf(cpuid, 0x8000_001e, 0).eax(), "AMD extended APIC id");
        assertEquals(SUPPORTED.get(0), cpuid.get(0), "vendor leaf untouched");
    }

    @Test
    void cpuidRejectsImpossibleTopologies() {
        assertThrows(IllegalArgumentException.class, () -> CpuidNormalizer.forVcpu(SUPPORTED, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> CpuidNormalizer.forVcpu(SUPPORTED, 0, 0));
    }

    @Test
    void lapicLint0IsExtIntAndLint1IsNmi() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment lapic = arena.allocate(1024);
            lapic.set(JAVA_INT_UNALIGNED, Lapic.LVT_LINT0, 0x0001_0700 | 0x400);
            Lapic.configureVirtualWire(lapic);
            assertEquals(7, Lapic.deliveryMode(lapic, Lapic.LVT_LINT0));
            assertEquals(4, Lapic.deliveryMode(lapic, Lapic.LVT_LINT1));
            assertEquals(0x0001_0000, lapic.get(JAVA_INT_UNALIGNED, Lapic.LVT_LINT0) & ~0x700, "other bits kept");
        }
    }

    @Test
    void longModeStateMatchesTheBootProtocol() {
        try (Arena arena = Arena.ofConfined()) {
            Sregs sregs = new Sregs(arena);
            sregs.cr0(0x6000_0010L);
            LongMode.configure(sregs, 0x9000);
            assertEquals(0x6000_0010L | 1 | (1L << 31), sregs.cr0());
            assertEquals(0x9000, sregs.cr3());
            assertEquals(1L << 5, sregs.cr4());
            assertEquals((1L << 8) | (1L << 10), sregs.efer());
            assertEquals(8, sregs.selector(Sregs.Segment.CS));
            assertEquals(0x10, sregs.selector(Sregs.Segment.SS));
            assertEquals(0x18, sregs.selector(Sregs.Segment.TR));

            Regs regs = new Regs(arena);
            LongMode.configure(regs, 0x100_0000);
            assertEquals(0x100_0000, regs.get("rip"));
            assertEquals(0x7000, regs.get("rsi"));
            assertEquals(0x8ff0, regs.get("rsp"));
            assertEquals(2, regs.get("rflags"));
        }
    }

    @Test
    void bootMsrsMatchFirecracker() {
        var msrs = BootMsrs.values();
        assertEquals(1L, msrs.get(BootMsrs.IA32_MISC_ENABLE));
        assertEquals(0x806L, msrs.get(BootMsrs.MTRR_DEF_TYPE));
        assertEquals(0L, msrs.get(BootMsrs.LSTAR));
        assertEquals(11, msrs.size());
    }
}
