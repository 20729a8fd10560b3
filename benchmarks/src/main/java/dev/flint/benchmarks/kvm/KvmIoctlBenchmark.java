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
 * The cheapest KVM ioctl, {@code KVM_GET_API_VERSION}, through Flint's typed binding: one FFM
 * downcall with errno capture, a system call, and KVM's trivial handler. Needs /dev/kvm.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class KvmIoctlBenchmark {
    private Kvm kvm;

    @Setup
    public void open() throws ErrnoException {
        KvmAvailability.require();
        kvm = Kvm.open();
    }

    @TearDown
    public void close() {
        kvm.close();
    }

    @Benchmark
    public int getApiVersion() throws ErrnoException {
        return kvm.apiVersion();
    }
}
