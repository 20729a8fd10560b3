package dev.flint.benchmarks.blk;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The benchmark's requests must complete with S_OK across the whole image and past the ring's 16-bit index wrap. */
class BlkRequestBenchmarkTest {
    @Test
    void everyReadCompletesAndRaisesItsInterruptAcrossTheImageAndTheIndexWrap() throws Exception {
        BlkRequestBenchmark benchmark = new BlkRequestBenchmark();
        benchmark.bytes = 4096;
        benchmark.activate();
        try {
            long interrupts = 0;
            for (int i = 0; i < 70_000; i++) {   // 4 KiB reads: the image (64 MiB) four times over
                interrupts = benchmark.read();
            }
            assertEquals(70_000, interrupts, "one interrupt per notified request");
        } finally {
            benchmark.close();
        }
    }

    @Test
    void aMegabyteReadOfScatteredSegmentsCompletes() throws Exception {
        BlkRequestBenchmark benchmark = new BlkRequestBenchmark();
        benchmark.bytes = 1 << 20;
        benchmark.activate();
        try {
            for (int i = 0; i < 100; i++) {   // past the image's end (64 MiB), so the sector wraps
                benchmark.read();
            }
        } finally {
            benchmark.close();
        }
    }
}
