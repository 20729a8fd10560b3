package dev.flint.virtio.mmio;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.flint.virtio.rng.VirtioRng;
import dev.flint.vmm.memory.GuestMemory;
import dev.flint.vmm.memory.MemoryRange;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;

/**
 * Fuzz target {@code mmio}: register reads and writes of any offset, size and value against
 * the virtio-mmio transport of an rng device over a 1 MiB guest whose memory the fuzzer also
 * fills, so a programmed queue can go live and be notified. Each access: a byte of op and
 * size, a u16 offset, a u32 value. Oracle: no exception escapes a register access (a bad
 * queue setup sets DEVICE_NEEDS_RESET).
 * {@code ./flint fuzz mmio}; the unit tests replay {@code VirtioMmioFuzzTestInputs/replay}.
 */
public class VirtioMmioFuzzTest {
    private static final int RAM = 1 << 20;
    private static final int MEMORY_PREFIX = 4096;

    public static void fuzzerTestOneInput(byte[] input) {
        GuestMemory memory = GuestMemory.onHeap(List.of(new MemoryRange(0, RAM)));
        VirtioRng rng = new VirtioRng(new SecureRandom(new byte[] {1}));
        VirtioMmioTransport transport = new VirtioMmioTransport(rng, memory, () -> {
        }, rng::queueNotify);
        ByteBuffer in = ByteBuffer.wrap(input);
        // The guest's rings and buffers, wherever the fuzzer puts them: copies of the first bytes.
        byte[] rings = new byte[Math.min(MEMORY_PREFIX, input.length)];
        in.get(rings);
        for (long at = 0; at < RAM; at += 0x10000) {
            memory.write(at, rings);
        }
        try (Arena arena = Arena.ofConfined()) {
            while (in.remaining() >= 7) {
                int op = Byte.toUnsignedInt(in.get());
                long offset = Short.toUnsignedInt(in.getShort()) % 0x200;
                int value = in.getInt();
                long width = switch ((op >> 1) & 3) {
                    case 0 -> 4;
                    case 1 -> 1;
                    case 2 -> 2;
                    default -> 8;
                };
                MemorySegment data = arena.allocate(width);
                if ((op & 1) == 0) {
                    transport.read(offset, data);
                } else {
                    if (width >= 4) {
                        data.set(JAVA_INT_UNALIGNED, 0, value);
                    } else {
                        data.fill((byte) value);
                    }
                    transport.write(offset, data);
                }
            }
        }
    }

    @FuzzTest
    @Timeout(10)
    void replay(byte[] input) {
        fuzzerTestOneInput(input);
    }
}
