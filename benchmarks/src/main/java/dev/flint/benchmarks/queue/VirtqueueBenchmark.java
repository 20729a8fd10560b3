package dev.flint.benchmarks.queue;

import dev.flint.virtio.queue.DescriptorChain;
import dev.flint.virtio.queue.Virtqueue;
import dev.flint.vmm.memory.GuestMemory;
import dev.flint.vmm.memory.MemoryRange;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The device's per-request cost in a split virtqueue over heap guest memory: take one published
 * chain ({@link Virtqueue#pop}: avail index, ring slot, descriptor walk and bounds checks) and
 * hand it back ({@link Virtqueue#addUsed}). Each operation also includes the driver's two
 * stores that publish the chain again.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class VirtqueueBenchmark {
    private static final int QUEUE_SIZE = 256;

    private RingDriver driver;
    private Virtqueue queue;
    private int singleHead;
    private int blockHead;

    @Setup
    public void createQueue() {
        GuestMemory memory = GuestMemory.onHeap(List.of(new MemoryRange(0, RingDriver.SPAN)));
        driver = new RingDriver(memory, QUEUE_SIZE, 0);
        queue = driver.queue(false);
        // A single 64-byte buffer: an rng request or a small vsock tx packet.
        singleHead = driver.chain(RingDriver.Part.readable(64));
        // A block read: 16-byte request header, 4 KiB of data, 1-byte status.
        blockHead = driver.chain(RingDriver.Part.readable(16), RingDriver.Part.writable(4096),
                RingDriver.Part.writable(1));
    }

    @Benchmark
    public DescriptorChain popAndAddUsedChainOf1() {
        return serve(singleHead, 0);
    }

    @Benchmark
    public DescriptorChain popAndAddUsedChainOf3() {
        return serve(blockHead, 4097);
    }

    private DescriptorChain serve(int head, int written) {
        driver.publish(head);
        DescriptorChain chain = queue.pop().orElseThrow();
        queue.addUsed(chain.head(), written);
        return chain;
    }
}
