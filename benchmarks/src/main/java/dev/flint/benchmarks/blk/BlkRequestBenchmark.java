package dev.flint.benchmarks.blk;

import dev.flint.benchmarks.queue.RingDriver;
import dev.flint.virtio.VirtioDevice;
import dev.flint.virtio.blk.VirtioBlk;
import dev.flint.vmm.memory.GuestMemory;
import dev.flint.vmm.memory.MemoryRange;
import dev.flint.vmm.sys.ErrnoException;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/**
 * The host side of one virtio-blk read, on the thread that notifies (no worker hand-off): the
 * device pops the chain, reads the raw image (in the host's page cache) into the guest's
 * buffers with one readv, writes the status byte and the used ring, and raises its interrupt.
 * A guest's 1 MiB read comes in 8 KiB segments here, as Linux sends a page-cache read of
 * scattered pages (the rig's guest sent 64 requests of 1 MiB for a 64 MiB dd); 4 KiB is one
 * segment. Sectors walk the whole image so every read copies fresh page-cache pages.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class BlkRequestBenchmark {
    private static final int IMAGE_MIB = 64;
    private static final int SEGMENT = 8192;
    private static final long F_RING_EVENT_IDX = 1L << 29;
    /** virtio-blk's VIRTIO_BLK_T_IN: a read. */
    private static final int T_IN = 0;

    @Param({"4096", "1048576"})
    public int bytes;

    private Path image;
    private VirtioBlk disk;
    private GuestMemory memory;
    private RingDriver driver;
    private MemorySegment header;
    private MemorySegment status;
    private int head;
    private long sector;
    private long interrupts;

    @Setup
    public void activate() throws IOException, ErrnoException {
        image = Files.createTempFile("flint-blk-bench", ".raw");
        byte[] block = new byte[1 << 20];
        for (int i = 0; i < block.length; i++) {
            block[i] = (byte) (i * 31 + 7);
        }
        try (OutputStream out = Files.newOutputStream(image)) {
            for (int i = 0; i < IMAGE_MIB; i++) {
                out.write(block);
            }
        }
        disk = new VirtioBlk(image, false, "bench");
        long span = 2L << 20;
        memory = GuestMemory.mapAnonymous(List.of(new MemoryRange(0, span)));
        driver = new RingDriver(memory, 256, 0, span);
        int segments = Math.max(1, bytes / SEGMENT);
        RingDriver.Part[] parts = new RingDriver.Part[segments + 2];
        parts[0] = RingDriver.Part.readable(16);
        for (int i = 1; i <= segments; i++) {
            parts[i] = RingDriver.Part.writable(Math.min(bytes, SEGMENT));
        }
        parts[segments + 1] = RingDriver.Part.writable(1);
        head = driver.chain(parts);
        header = driver.buffer(head);
        status = driver.buffer(head + segments + 1);
        header.set(JAVA_INT_UNALIGNED, 0, T_IN);
        // No EVENT_IDX: every completion interrupts, as when Linux's driver waits on each request
        // (with it, this driver, never moving used_event, would be interrupted once per index wrap).
        disk.activate(List.of(driver.queue(false)), disk.features() & ~F_RING_EVENT_IDX, new VirtioDevice.DriverSignals() {
            @Override
            public void usedBuffers() {
                interrupts++;
            }

            @Override
            public void deviceBroken() {
                throw new IllegalStateException("the block device broke on the benchmark's request");
            }
        });
    }

    @TearDown
    public void close() throws IOException {
        disk.close();
        memory.close();
        Files.deleteIfExists(image);
    }

    @Benchmark
    public long read() {
        long read = sector;
        sector = (sector + bytes / 512) % (IMAGE_MIB * 2048L);
        header.set(JAVA_LONG_UNALIGNED, 8, read);
        status.set(JAVA_BYTE, 0, (byte) 0xff);
        driver.publish(head);
        disk.queueNotify(0);
        if (driver.takeUsed() != head || status.get(JAVA_BYTE, 0) != 0) {
            throw new IllegalStateException("the read of sector " + read + " did not complete with S_OK");
        }
        return interrupts;
    }
}
