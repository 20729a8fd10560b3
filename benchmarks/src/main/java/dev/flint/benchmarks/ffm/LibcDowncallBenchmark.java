package dev.flint.benchmarks.ffm;

import dev.flint.vmm.sys.Libc;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The floor under every KVM call: Flint's FFM downcalls into libc without KVM. Compare with
 * {@code kvm.KvmIoctlBenchmark}: pthread_self is a downcall with no system call; ioctl on a bad fd
 * adds the errno capture and a system call that fails at once; the KVM ioctl adds KVM's handler.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class LibcDowncallBenchmark {
    /** An ioctl request no driver knows; the call never gets past the fd lookup anyway. */
    private static final long ANY_REQUEST = 0xAE00;

    /** libc's pthread_self, bound here: Flint itself makes only system calls. */
    private static final MethodHandle PTHREAD_SELF = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("pthread_self").orElseThrow(), FunctionDescriptor.of(JAVA_LONG));

    @Benchmark
    public long pthreadSelf() throws Throwable {
        return (long) PTHREAD_SELF.invokeExact();
    }

    /** gettid through Flint's one syscall(2) handle: the downcall plus the cheapest system call. */
    @Benchmark
    public long gettid() {
        return Libc.threadId();
    }

    @Benchmark
    public int ioctlOnBadFd() {
        return Libc.ioctl(-1, ANY_REQUEST, 0L);
    }
}
