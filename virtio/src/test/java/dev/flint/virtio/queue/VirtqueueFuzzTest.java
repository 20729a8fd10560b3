package dev.flint.virtio.queue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.flint.vmm.memory.GuestMemory;
import dev.flint.vmm.memory.MemoryRange;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;

/**
 * Fuzz target {@code virtqueue}: chain walking over rings the fuzzer writes. The first two
 * bytes choose the queue size and EVENT_IDX; the rest fill the descriptor table, the available
 * ring and the buffers of a 64 KiB guest. Oracle: {@link Virtqueue#pop} either returns a chain
 * whose buffers all lie in guest RAM or throws {@link VirtqueueException}; nothing else.
 * {@code ./flint fuzz virtqueue}; the unit tests replay {@code VirtqueueFuzzTestInputs/replay}.
 */
public class VirtqueueFuzzTest {
    private static final long RAM = 0x10000;
    private static final long DESC = 0;
    private static final long AVAIL = 0x4000;
    private static final long USED = 0x6000;

    public static void fuzzerTestOneInput(byte[] input) {
        if (input.length < 2) {
            return;
        }
        int size = 1 << (input[0] & 7);
        boolean eventIdx = (input[1] & 1) != 0;
        GuestMemory memory = GuestMemory.onHeap(List.of(new MemoryRange(0, RAM)));
        memory.write(0, java.util.Arrays.copyOfRange(input, 2, (int) Math.min(input.length, RAM + 2)));
        Virtqueue queue = new Virtqueue(memory, size, DESC, AVAIL, USED, eventIdx);
        try {
            for (int i = 0; i < 2 * size; i++) {
                Optional<DescriptorChain> chain = queue.pop();
                if (chain.isEmpty()) {
                    break;
                }
                check(memory, chain.get());
                int written = chain.get().write(ByteBuffer.allocate(64).putLong(chain.get().readableLength()).array());
                queue.addUsed(chain.get().head(), written);
                queue.needsInterrupt();
            }
        } catch (VirtqueueException expected) {
            // A malformed ring: the device asks the driver for a reset.
        }
    }

    private static void check(GuestMemory memory, DescriptorChain chain) {
        for (List<DescriptorChain.Buffer> buffers : List.of(chain.readable(), chain.writable())) {
            for (DescriptorChain.Buffer b : buffers) {
                if (!memory.contains(b.address(), Integer.toUnsignedLong(b.length()))) {
                    throw new AssertionError("chain " + chain.head() + " has a buffer outside RAM: " + b);
                }
            }
        }
        // Descriptors may alias: readAll must refuse a chain over its limit without reading it.
        int limit = (int) (16 * RAM);
        boolean fits = chain.readableLength() <= limit;
        if (chain.readAll(limit).isPresent() != fits) {
            throw new AssertionError("chain " + chain.head() + " of " + chain.readableLength()
                    + " readable bytes: readAll(" + limit + ") " + (fits ? "refused it" : "read it"));
        }
    }

    @FuzzTest
    @Timeout(10)
    void replay(byte[] input) {
        fuzzerTestOneInput(input);
    }
}
