package dev.flint.vmm.cpu;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VcpuLimitTest {
    @Test
    void takesKvmsMaximumCappedAtTheXapicLimit() {
        assertEquals(254, VcpuLimit.fromCapabilities(1024, 16).max());
        assertEquals(32, VcpuLimit.fromCapabilities(32, 16).max());
    }

    @Test
    void fallsBackToTheRecommendedCountThenToFour() {
        assertEquals(16, VcpuLimit.fromCapabilities(0, 16).max());
        assertEquals(4, VcpuLimit.fromCapabilities(0, 0).max(), "KVM API: assume 4 when neither is reported");
    }

    @Test
    void acceptsOneToTheLimit() {
        VcpuLimit limit = VcpuLimit.fromCapabilities(8, 8);
        assertDoesNotThrow(() -> limit.require(1));
        assertDoesNotThrow(() -> limit.require(8));
    }

    @Test
    void rejectionNamesTheLimitAndTheFix() {
        var kvm = assertThrows(IllegalArgumentException.class, () -> VcpuLimit.fromCapabilities(8, 8).require(9));
        assertTrue(kvm.getMessage().contains("1 to 8") && kvm.getMessage().contains("KVM_CAP_MAX_VCPUS")
                && kvm.getMessage().contains("8 or fewer"), kvm.getMessage());
        var xapic = assertThrows(IllegalArgumentException.class, () -> VcpuLimit.fromCapabilities(1024, 0).require(255));
        assertTrue(xapic.getMessage().contains("xAPIC"), xapic.getMessage());
        assertThrows(IllegalArgumentException.class, () -> VcpuLimit.fromCapabilities(8, 8).require(0));
    }
}
