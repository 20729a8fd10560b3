package dev.flint.vmm.cpu;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class MsrsToSaveTest {
    @Test
    void keepsTheArchitecturalMsrsInOrderAndDropsPmuMceVmxAndHyperV() {
        List<Integer> reported = List.of(0x10, 0x1b, 0xc1, 0x186, 0x17a, 0x17b, 0x480, 0x491, 0x4000_0001,
                0xc001_0004, 0xc001_0201, 0x6e0, 0xc000_0080, 0xc000_0102, 0x4b56_4d01, 0x179, 0x800);
        assertEquals(List.of(0x10, 0x1b, 0x6e0, 0xc000_0080, 0xc000_0102, 0x4b56_4d01, 0x179, 0x800),
                MsrsToSave.filter(reported));
    }

    @Test
    void rangeBoundsAreInclusiveAndUnsigned() {
        MsrsToSave.Range amd = new MsrsToSave.Range(0xc001_0000, 0xc001_0007, "test");
        assertEquals(List.of(false, true, true, false),
                List.of(amd.contains(0xbfff_ffff), amd.contains(0xc001_0000), amd.contains(0xc001_0007),
                        amd.contains(0xc001_0008)));
    }
}
