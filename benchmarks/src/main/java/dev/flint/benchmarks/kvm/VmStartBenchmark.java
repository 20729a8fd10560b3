package dev.flint.benchmarks.kvm;

import dev.flint.vmm.kvm.Kvm;
import dev.flint.vmm.sys.ErrnoException;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * The VMM's fixed cost of a VM before any boot code: {@code KVM_CREATE_VM}, mmap and register
 * 64 KiB of memory, {@code KVM_CREATE_VCPU} with its {@code kvm_run} mapping, real-mode
 * registers, {@code KVM_RUN} to the guest's first {@code out}, then close everything. The
 * {@code /dev/kvm} fd stays open across operations, as it does in a VMM. Needs /dev/kvm.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class VmStartBenchmark {
    private Kvm kvm;
    private int vcpuMmapSize;

    @Setup
    public void open() throws ErrnoException {
        KvmAvailability.require();
        kvm = Kvm.open();
        vcpuMmapSize = kvm.vcpuMmapSize();
    }

    @TearDown
    public void close() {
        kvm.close();
    }

    @Benchmark
    public int createVmToFirstExit() throws ErrnoException {
        try (TinyGuest guest = TinyGuest.create(kvm, vcpuMmapSize, TinyGuest.OUT_ONCE)) {
            return guest.runToOut();
        }
    }
}
