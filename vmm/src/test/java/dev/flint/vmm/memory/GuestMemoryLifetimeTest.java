package dev.flint.vmm.memory;

import dev.flint.vmm.EventLoop;
import dev.flint.vmm.sys.EventFd;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Guest memory outlives a device handler that outlasts the event loop's close wait, as a VM's
 * teardown does it (real mmap, epoll and eventfds: no KVM needed). Unmapping under that
 * handler would be a SIGSEGV of the whole JVM.
 */
class GuestMemoryLifetimeTest {
    private static final byte[] DATA = "written after the VM closed".getBytes(StandardCharsets.US_ASCII);

    @Test
    void memoryStaysMappedUntilABlockedHandlerReturnsThenIsUnmapped() throws Exception {
        GuestMemory memory = GuestMemory.mapAnonymous(List.of(new MemoryRange(0, 1 << 20)));
        MemorySegment ram = memory.regions().get(0).host();
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicReference<byte[]> seen = new AtomicReference<>();
        EventLoop loop = new EventLoop("lifetime", failure::set);
        try (EventFd doorbell = EventFd.create()) {
            loop.register(doorbell, () -> {
                entered.countDown();
                try {
                    release.await(); // an fsync or a FUSE request that takes its time
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                memory.write(0x1000, DATA);
                seen.set(memory.read(0x1000, DATA.length));
            });
            doorbell.signal();
            assertTrue(entered.await(5, TimeUnit.SECONDS));
            int heldBefore = GuestMemory.heldPastClose();

            assertFalse(loop.close(Duration.ofMillis(200)), "the handler outlasted the close wait");
            memory.closeAfter(loop.stopped(), "test");
            assertTrue(ram.scope().isAlive(), "still mapped while the handler may touch it");
            assertEquals(heldBefore + 1, GuestMemory.heldPastClose(), "counted");
            memory.write(0, DATA);

            release.countDown();
            loop.stopped().toCompletableFuture().get(5, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (ram.scope().isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertNull(failure.get(), "the handler ran to its end");
            assertArrayEquals(DATA, seen.get(), "its writes reached mapped guest memory");
            assertFalse(ram.scope().isAlive(), "unmapped once the handler returned");
            assertEquals(heldBefore, GuestMemory.heldPastClose());
            assertThrows(IllegalStateException.class, () -> memory.read(0, 4),
                    "a late access is an exception, not a fault in unmapped memory");
        }
    }

    @Test
    void closeAfterAStoppedLoopUnmapsAtOnce() throws Exception {
        GuestMemory memory = GuestMemory.mapAnonymous(List.of(new MemoryRange(0, 1 << 20)));
        EventLoop loop = new EventLoop("lifetime", Throwable::printStackTrace);
        assertTrue(loop.close(Duration.ofSeconds(5)), "an idle loop stops at once");
        memory.closeAfter(loop.stopped(), "test");
        assertFalse(memory.regions().get(0).host().scope().isAlive());
    }

    @Test
    void heapMemoryClosesWithoutAnArena() {
        GuestMemory memory = GuestMemory.onHeap(List.of(new MemoryRange(0, 4096)));
        memory.close();
        memory.write(0, DATA); // heap memory is the garbage collector's: nothing to unmap
        assertArrayEquals(DATA, memory.read(0, DATA.length));
    }
}
