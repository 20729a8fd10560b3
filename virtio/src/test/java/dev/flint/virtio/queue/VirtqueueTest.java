package dev.flint.virtio.queue;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static dev.flint.virtio.queue.MockDriver.Part.read;
import static dev.flint.virtio.queue.MockDriver.Part.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VirtqueueTest {
    private final MockDriver driver = new MockDriver(16);

    @Test
    void popsAChainWithReadableThenWritableBuffers() {
        Virtqueue queue = driver.queue(false);
        assertTrue(queue.pop().isEmpty());
        int head = driver.chain(read("hello ".getBytes()), read("world".getBytes()), write(8), write(8));
        driver.publish(head);

        DescriptorChain chain = queue.pop().orElseThrow();
        assertEquals(head, chain.head());
        assertEquals("hello world", new String(chain.readAll(64).orElseThrow(), StandardCharsets.US_ASCII));
        assertEquals(2, chain.writable().size());
        assertEquals(16, chain.writableLength());
        assertEquals(12, chain.write("0123456789".getBytes(), "ab".getBytes()), "scattered over both buffers");
        assertArrayEquals("01234567".getBytes(), driver.read(chain.writable().get(0).address(), 8));
        assertArrayEquals("89ab".getBytes(), driver.read(chain.writable().get(1).address(), 4));
        assertTrue(queue.pop().isEmpty());
    }

    @Test
    void writesStopAtTheEndOfTheBuffers() {
        Virtqueue queue = driver.queue(false);
        driver.publish(driver.chain(write(4)));
        assertEquals(4, queue.pop().orElseThrow().write("toolong".getBytes()));
    }

    @Test
    void usedRingGetsHeadAndLength() {
        Virtqueue queue = driver.queue(false);
        int head = driver.chain(write(32));
        driver.publish(head);
        queue.addUsed(queue.pop().orElseThrow().head(), 17);
        assertEquals(List.of(new MockDriver.Used(head, 17)), driver.used());
    }

    @Test
    void aBatchOfUsedChainsGoesBackTogether() {
        Virtqueue queue = driver.queue(false);
        int first = driver.chain(write(8));
        int second = driver.chain(write(8));
        driver.publish(first);
        driver.publish(second);
        int a = queue.pop().orElseThrow().head();
        int b = queue.pop().orElseThrow().head();
        queue.addUsed(new int[] {a, b}, new int[] {8, 3});
        assertEquals(List.of(new MockDriver.Used(first, 8), new MockDriver.Used(second, 3)), driver.used());
        assertThrows(IllegalArgumentException.class, () -> queue.addUsed(new int[] {a}, new int[] {1, 2}));
    }

    @Test
    void followsIndirectTables() {
        Virtqueue queue = driver.queue(false);
        driver.publish(driver.indirectChain(read("in".getBytes()), read("direct".getBytes()), write(4)));
        DescriptorChain chain = queue.pop().orElseThrow();
        assertEquals("indirect", new String(chain.readAll(64).orElseThrow(), StandardCharsets.US_ASCII));
        assertEquals(4, chain.writableLength());
    }

    @Test
    void indicesWrapPast65535() {
        Virtqueue queue = driver.queue(false);
        long buffer = driver.buffer(new byte[] {42}, 1);
        driver.descriptor(MockDriver.DESC, 0, buffer, 1, 0, 0);
        for (int i = 0; i < 70_000; i++) {
            driver.publish(0);
            DescriptorChain chain = queue.pop().orElseThrow();
            assertEquals(42, chain.readAll(64).orElseThrow()[0]);
            queue.addUsed(chain.head(), 0);
            assertEquals(1, driver.used().size(), "used entry " + i);
            assertTrue(queue.pop().isEmpty());
        }
    }

    @Test
    void rejectsBuffersOutsideGuestRam() {
        Virtqueue queue = driver.queue(false);
        driver.descriptor(MockDriver.DESC, 0, (4 << 20) - 4, 8, 0, 0);
        driver.publish(0);
        var e = assertThrows(VirtqueueException.class, queue::pop);
        assertTrue(e.getMessage().contains("outside guest RAM"), e.getMessage());
    }

    @Test
    void rejectsLoops() {
        Virtqueue queue = driver.queue(false);
        long buffer = driver.buffer(new byte[4], 4);
        driver.descriptor(MockDriver.DESC, 0, buffer, 4, Virtqueue.DESC_F_NEXT, 1);
        driver.descriptor(MockDriver.DESC, 1, buffer, 4, Virtqueue.DESC_F_NEXT, 0);
        driver.publish(0);
        var e = assertThrows(VirtqueueException.class, queue::pop);
        assertTrue(e.getMessage().contains("loops"), e.getMessage());
    }

    @Test
    void rejectsReadableAfterWritable() {
        Virtqueue queue = driver.queue(false);
        driver.publish(driver.chain(write(4), read(new byte[4])));
        var e = assertThrows(VirtqueueException.class, queue::pop);
        assertTrue(e.getMessage().contains("readable descriptor after a writable"), e.getMessage());
    }

    @Test
    void rejectsBadIndirectTables() {
        Virtqueue queue = driver.queue(false);
        long table = driver.buffer(null, 32);
        driver.descriptor(MockDriver.DESC, 0, table, 20, Virtqueue.DESC_F_INDIRECT, 0);
        driver.publish(0);
        assertThrows(VirtqueueException.class, queue::pop);

        driver.descriptor(table, 0, table, 16, Virtqueue.DESC_F_INDIRECT, 0);
        driver.descriptor(MockDriver.DESC, 1, table, 16, Virtqueue.DESC_F_INDIRECT, 0);
        driver.publish(1);
        var nested = assertThrows(VirtqueueException.class, queue::pop);
        assertTrue(nested.getMessage().contains("nested indirect"), nested.getMessage());
    }

    @Test
    void rejectsHeadsAndLinksBeyondTheTable() {
        Virtqueue queue = driver.queue(false);
        driver.publish(99);
        assertThrows(VirtqueueException.class, queue::pop);
        driver.descriptor(MockDriver.DESC, 2, driver.buffer(new byte[1], 1), 1, Virtqueue.DESC_F_NEXT, 40);
        driver.publish(2);
        assertThrows(VirtqueueException.class, queue::pop);
    }

    @Test
    void rejectsRingsOutsideRamAndBadSizes() {
        assertThrows(VirtqueueException.class, () -> new Virtqueue(driver.memory(), 16, 4 << 20, MockDriver.AVAIL, MockDriver.USED, false));
        assertThrows(VirtqueueException.class, () -> new Virtqueue(driver.memory(), 12, MockDriver.DESC, MockDriver.AVAIL, MockDriver.USED, false));
    }

    @Test
    void interruptsFollowTheNoInterruptFlag() {
        Virtqueue queue = driver.queue(false);
        driver.publish(driver.chain(write(1)));
        queue.addUsed(queue.pop().orElseThrow().head(), 0);
        assertTrue(queue.needsInterrupt());
        driver.suppressInterrupts(true);
        assertFalse(queue.needsInterrupt());
    }

    @Test
    void eventIdxSuppressesInterruptsUntilUsedEventPassesAndPublishesAvailEvent() {
        Virtqueue queue = driver.queue(true);
        driver.usedEvent(1);
        for (int i = 0; i < 3; i++) {
            driver.publish(driver.chain(write(1)));
        }
        queue.addUsed(queue.pop().orElseThrow().head(), 0);
        assertTrue(queue.needsInterrupt(), "first interrupt always goes");
        queue.addUsed(queue.pop().orElseThrow().head(), 0);
        assertTrue(queue.needsInterrupt(), "used idx 2 passed used_event 1");
        queue.addUsed(queue.pop().orElseThrow().head(), 0);
        assertFalse(queue.needsInterrupt(), "used_event 1 already signalled");
        assertEquals(3, driver.availEvent(), "device asks to hear about the next chain");
    }
}
