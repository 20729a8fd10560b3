package dev.flint.benchmarks.queue;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The benchmark republishes the same chains forever: the 16-bit ring indices must wrap cleanly. */
class VirtqueueBenchmarkTest {
    @Test
    void chainsComeBackIntactAfterTheIndicesWrap() {
        VirtqueueBenchmark benchmark = new VirtqueueBenchmark();
        benchmark.createQueue();
        for (int i = 0; i < 70_000; i++) {
            assertEquals(1, benchmark.popAndAddUsedChainOf1().readable().size());
            var block = benchmark.popAndAddUsedChainOf3();
            assertEquals(1, block.readable().size());
            assertEquals(2, block.writable().size());
            assertEquals(4097, block.writableLength());
        }
    }
}
