package dev.flint.vmm.kvm;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The kvm_run flyweight decodes exits written the way the kernel writes them. */
class KvmRunTest {
    @Test
    void decodesAPortOutExit() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment page = arena.allocate(4096, 8);
            page.set(JAVA_INT, 8, KvmExit.IO);
            page.set(JAVA_BYTE, 32, (byte) KvmExit.IO_OUT);
            page.set(JAVA_BYTE, 33, (byte) 1);
            page.set(JAVA_SHORT, 34, (short) 0x3f8);
            page.set(JAVA_INT, 36, 2);
            page.set(JAVA_LONG, 40, 0x800);
            page.set(JAVA_BYTE, 0x800, (byte) 'o');
            page.set(JAVA_BYTE, 0x801, (byte) 'k');

            KvmRun run = new KvmRun(page);
            assertEquals(KvmExit.IO, run.exitReason());
            assertEquals(KvmExit.IO_OUT, run.ioDirection());
            assertEquals(0x3f8, run.ioPort());
            assertArrayEquals(new byte[] {'o', 'k'}, run.ioData().toArray(JAVA_BYTE));
        }
    }

    @Test
    void decodesAnMmioWriteAndImmediateExit() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment page = arena.allocate(4096, 8);
            page.set(JAVA_INT, 8, KvmExit.MMIO);
            page.set(JAVA_LONG, 32, 0xc000_0000L);
            page.set(JAVA_BYTE, 40, (byte) 123);
            page.set(JAVA_INT, 48, 1);
            page.set(JAVA_BYTE, 52, (byte) 1);

            KvmRun run = new KvmRun(page);
            assertEquals(0xc000_0000L, run.mmioPhysAddr());
            assertTrue(run.mmioIsWrite());
            assertArrayEquals(new byte[] {123}, run.mmioData().toArray(JAVA_BYTE));
            run.setImmediateExit(true);
            assertEquals(1, page.get(JAVA_BYTE, 1));
        }
    }
}
