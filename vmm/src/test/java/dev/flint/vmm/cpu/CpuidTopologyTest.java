package dev.flint.vmm.cpu;

import dev.flint.vmm.kvm.CpuidEntry;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every CPUID leaf that names a vCPU or counts them agrees with the vCPU's index and the vCPU count. */
class CpuidTopologyTest {
    /** An AMD host's supported CPUID with the leaves the topology touches; max basic leaf 0x1f. */
    private static final List<CpuidEntry> AMD = List.of(
            new CpuidEntry(0x0, 0, 0, 0x1f, 0x68747541, 0x444d4163, 0x69746e65),
            new CpuidEntry(0x1, 0, 0, 0x00a00f11, 0x00000800, 0x7ed8320b, 0x078bfbff),
            new CpuidEntry(0x4, 0, 1, 0x121, 0x01c0003f, 0x3f, 0),
            new CpuidEntry(0x4, 1, 1, 0x143, 0x01c0003f, 0x3ff, 0),
            new CpuidEntry(0x4, 2, 1, 0x163, 0x03c0003f, 0x3fff, 6),
            new CpuidEntry(0x4, 3, 1, 0, 0, 0, 0),
            new CpuidEntry(0xb, 0, 1, 1, 2, 0x100, 7),
            new CpuidEntry(0xb, 1, 1, 7, 128, 0x201, 7),
            new CpuidEntry(0xb, 2, 1, 0, 0, 2, 7),
            new CpuidEntry(0x1f, 0, 1, 1, 2, 0x100, 7),
            new CpuidEntry(0x8000_0008, 0, 0, 0x3030, 0, 0x700f, 0),
            new CpuidEntry(0x8000_001e, 0, 0, 7, 0x103, 0x300, 0));

    static CpuidEntry leaf(List<CpuidEntry> cpuid, int function, int index) {
        List<CpuidEntry> matches = cpuid.stream().filter(e -> e.function() == function && e.index() == index).toList();
        assertEquals(1, matches.size(), String.format("entries for leaf 0x%x subleaf %d", function, index));
        return matches.get(0);
    }

    @Test
    void leafOneCarriesTheApicIdAndTheLogicalCount() {
        for (int apicId = 0; apicId < 4; apicId++) {
            CpuidEntry leaf1 = leaf(CpuidNormalizer.forVcpu(AMD, new CpuTopology(4), apicId), 0x1, 0);
            assertEquals(apicId, leaf1.ebx() >>> 24, "initial APIC id");
            assertEquals(4, (leaf1.ebx() >> 16) & 0xff, "logical processors");
            assertTrue((leaf1.edx() & (1 << 28)) != 0, "HTT: more than one logical processor");
            assertEquals(AMD.get(1).eax(), leaf1.eax(), "signature untouched");
        }
    }

    @Test
    void singleVcpuClearsHtt() {
        List<CpuidEntry> host = List.of(new CpuidEntry(0x0, 0, 0, 1, 0, 0, 0),
                new CpuidEntry(0x1, 0, 0, 0, 0x00ff_0800, 0, 1 << 28));
        CpuidEntry leaf1 = leaf(CpuidNormalizer.forVcpu(host, new CpuTopology(1), 0), 0x1, 0);
        assertEquals(0, leaf1.edx() & (1 << 28), "HTT off with one logical processor");
        assertEquals(1, (leaf1.ebx() >> 16) & 0xff);
        assertEquals(0, leaf1.ebx() >>> 24);
    }

    @Test
    void extendedTopologyLeavesDescribeOneSocketOfSingleThreadedCores() {
        for (int leafNumber : new int[] {0xb, 0x1f}) {
            List<CpuidEntry> cpuid = CpuidNormalizer.forVcpu(AMD, new CpuTopology(3), 2);
            CpuidEntry smt = leaf(cpuid, leafNumber, 0);
            CpuidEntry core = leaf(cpuid, leafNumber, 1);
            CpuidEntry end = leaf(cpuid, leafNumber, 2);
            assertEquals(new CpuidEntry(leafNumber, 0, CpuidEntry.FLAG_SIGNIFICANT_INDEX, 0, 1, 0x100, 2), smt,
                    "SMT level: no thread bits, 1 thread, type 1, x2APIC id 2");
            assertEquals(new CpuidEntry(leafNumber, 1, CpuidEntry.FLAG_SIGNIFICANT_INDEX, 2, 3, 0x201, 2), core,
                    "core level: 2 APIC id bits cover 3 cores, type 2");
            assertEquals(new CpuidEntry(leafNumber, 2, CpuidEntry.FLAG_SIGNIFICANT_INDEX, 0, 0, 2, 2), end,
                    "invalid level ends the enumeration");
            assertEquals(3, cpuid.stream().filter(e -> e.function() == leafNumber).count(), "host subleaves replaced");
        }
    }

    @Test
    void topologyLeavesAppearOnlyWhenTheMaximumBasicLeafReachesThem() {
        List<CpuidEntry> oldHost = List.of(new CpuidEntry(0x0, 0, 0, 0xd, 0x68747541, 0, 0),
                new CpuidEntry(0x1, 0, 0, 0, 0, 0, 0));
        List<CpuidEntry> cpuid = CpuidNormalizer.forVcpu(oldHost, new CpuTopology(2), 1);
        assertEquals(1, leaf(cpuid, 0xb, 1).edx(), "leaf 0xb added below max basic leaf 0xd");
        assertTrue(cpuid.stream().noneMatch(e -> e.function() == 0x1f), "no leaf 0x1f above max basic leaf 0xd");
    }

    @Test
    void apicIdBitsRoundUpToAPowerOfTwo() {
        assertEquals(0, new CpuTopology(1).coreIdBits());
        assertEquals(1, new CpuTopology(2).coreIdBits());
        assertEquals(2, new CpuTopology(3).coreIdBits());
        assertEquals(2, new CpuTopology(4).coreIdBits());
        assertEquals(3, new CpuTopology(5).coreIdBits());
        assertEquals(8, new CpuTopology(254).coreIdBits());
    }

    @Test
    void leafFourCountsCoresAndWhoSharesEachCache() {
        List<CpuidEntry> cpuid = CpuidNormalizer.forVcpu(AMD, new CpuTopology(4), 0);
        for (int sub = 0; sub < 3; sub++) {
            CpuidEntry cache = leaf(cpuid, 0x4, sub);
            assertEquals(3, cache.eax() >>> 26, "cores per package - 1");
            int level = (cache.eax() >> 5) & 7;
            assertEquals(level == 3 ? 3 : 0, (cache.eax() >> 14) & 0xfff, "logical CPUs sharing L" + level + " - 1");
            assertEquals(AMD.get(2 + sub).eax() & 0x3fff, cache.eax() & 0x3fff, "cache type and level kept");
        }
        assertEquals(new CpuidEntry(0x4, 3, 1, 0, 0, 0, 0), leaf(cpuid, 0x4, 3), "terminating subleaf untouched");
        assertEquals(63, leaf(CpuidNormalizer.forVcpu(AMD, new CpuTopology(100), 0), 0x4, 0).eax() >>> 26,
                "six bits saturate at 64 cores");
    }

    @Test
    void amdLeavesCountCoresAndNameTheVcpu() {
        List<CpuidEntry> cpuid = CpuidNormalizer.forVcpu(AMD, new CpuTopology(4), 3);
        CpuidEntry sizes = leaf(cpuid, 0x8000_0008, 0);
        assertEquals(3, sizes.ecx() & 0xff, "NC: cores - 1");
        assertEquals(2, (sizes.ecx() >> 12) & 0xf, "ApicIdSize");
        assertEquals(0x3030, sizes.eax(), "address sizes kept");
        CpuidEntry extended = leaf(cpuid, 0x8000_001e, 0);
        assertEquals(3, extended.eax(), "extended APIC id");
        assertEquals(3, extended.ebx() & 0xff, "core id");
        assertEquals(0, (extended.ebx() >> 8) & 0xff, "one thread per core");
        assertEquals(0, extended.ecx(), "node 0, one node");
    }

    @Test
    void intelHostKeepsLeafEightyThousandEightEcx() {
        List<CpuidEntry> intel = List.of(new CpuidEntry(0x0, 0, 0, 0xd, 0x756e6547, 0x6c65746e, 0x49656e69),
                new CpuidEntry(0x8000_0008, 0, 0, 0x3027, 0, 0, 0));
        assertEquals(0, leaf(CpuidNormalizer.forVcpu(intel, new CpuTopology(4), 1), 0x8000_0008, 0).ecx(),
                "reserved on Intel");
    }

    @Test
    void rejectsVcpusOutsideTheTopology() {
        var e = assertThrows(IllegalArgumentException.class, () -> CpuidNormalizer.forVcpu(AMD, new CpuTopology(2), 2));
        assertTrue(e.getMessage().contains("APIC ids 0-1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new CpuTopology(0));
        assertThrows(IllegalArgumentException.class, () -> new CpuTopology(255));
    }
}
