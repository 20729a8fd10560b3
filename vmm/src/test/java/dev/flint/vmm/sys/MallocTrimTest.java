package dev.flint.vmm.sys;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class MallocTrimTest {
    private static final int CHUNKS = 16_384;
    private static final int CHUNK = 1024;

    /**
     * Freed small allocations below a live one stay resident (glibc cannot shrink its heap past
     * the live chunk on its own); malloc_trim gives their pages back.
     */
    @Test
    void givesBackFreedMemoryTheAllocatorKept() throws IOException {
        assumeTrue(Libc.mallocTrim(), "this C library has no malloc_trim (not glibc)");
        Arena guard = Arena.ofConfined();
        try {
            try (Arena freed = Arena.ofConfined()) {
                for (int i = 0; i < CHUNKS; i++) {
                    MemorySegment chunk = freed.allocate(CHUNK);
                    chunk.fill((byte) 1);
                }
                guard.allocate(CHUNK).set(ValueLayout.JAVA_BYTE, 0, (byte) 1);   // above them all
            }
            long kept = anonymousBytes();
            Libc.mallocTrim();
            long trimmed = anonymousBytes();
            assertTrue(kept - trimmed >= CHUNKS * (long) CHUNK / 2,
                    "malloc_trim gave back " + (kept - trimmed) + " bytes of " + CHUNKS * (long) CHUNK + " freed");
        } finally {
            guard.close();
        }
    }

    private static long anonymousBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/smaps_rollup"))) {
            if (line.startsWith("Anonymous:")) {
                return Long.parseLong(line.substring("Anonymous:".length()).replace("kB", "").strip()) * 1024;
            }
        }
        throw new IOException("/proc/self/smaps_rollup has no Anonymous: line");
    }
}
