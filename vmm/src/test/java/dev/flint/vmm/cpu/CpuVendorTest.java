package dev.flint.vmm.cpu;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class CpuVendorTest {
    @Test
    void theFirstVendorIdOfCpuinfoIsTheVendor() {
        String cpuinfo = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\n\nprocessor\t: 1\nvendor_id\t: GenuineIntel\n";
        assertEquals(Optional.of("AuthenticAMD"), CpuVendor.parse(cpuinfo));
    }

    @Test
    void aCpuinfoWithoutVendorSaysNothing() {
        assertFalse(CpuVendor.parse("processor\t: 0\nvendor_id\t:\n").isPresent());
    }
}
