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
 * One port-I/O exit round trip on a running vCPU: {@code KVM_RUN} enters the guest, which loops
 * on {@code out}, so every call returns with {@code KVM_EXIT_IO}. This is the floor under every
 * device access a guest makes through user space (PIO or MMIO without ioeventfd). Needs /dev/kvm.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class VcpuExitBenchmark {
    private Kvm kvm;
    private TinyGuest guest;

    @Setup
    public void start() throws ErrnoException {
        KvmAvailability.require();
        kvm = Kvm.open();
        guest = TinyGuest.create(kvm, kvm.vcpuMmapSize(), TinyGuest.OUT_FOREVER);
    }

    @TearDown
    public void stop() {
        guest.close();
        kvm.close();
    }

    @Benchmark
    public int ioExitRoundTrip() throws ErrnoException {
        return guest.runToOut();
    }
}
