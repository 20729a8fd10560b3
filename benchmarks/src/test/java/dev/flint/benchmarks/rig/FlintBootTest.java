package dev.flint.benchmarks.rig;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class FlintBootTest {
    @Test
    void setupStepKeysAreSingleTokensOfTheKeyValueLine() {
        assertEquals("setup.open_dev_kvm_ns", FlintBoot.stepKey("open /dev/kvm (links the libc bindings)"));
        assertEquals("setup.start_vcpu_threads_ns", FlintBoot.stepKey("start vCPU threads"));
        String line = KeyValueLine.format("p", Map.of(FlintBoot.stepKey("load initramfs"), 7L));
        assertEquals(Map.of("setup.load_initramfs_ns", 7L), KeyValueLine.parse("p", line));
    }
}
