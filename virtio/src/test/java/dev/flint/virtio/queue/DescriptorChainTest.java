package dev.flint.virtio.queue;

import org.junit.jupiter.api.Test;

import static dev.flint.virtio.queue.MockDriver.Part.read;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Guest-claimed chain lengths: bounded before anything is allocated. */
class DescriptorChainTest {
    private static final int SIZE = 16;
    private static final long RAM = 4 << 20;

    private final MockDriver driver = new MockDriver(SIZE);

    /** A chain of every descriptor of the table, each covering all of guest RAM: 16 x 4 MiB claimed. */
    private int aliasedChain() {
        for (int i = 0; i < SIZE; i++) {
            driver.descriptor(MockDriver.DESC, i, 0, (int) RAM, i < SIZE - 1 ? Virtqueue.DESC_F_NEXT : 0, i + 1);
        }
        return 0;
    }

    @Test
    void readAllRefusesAChainOverItsLimitWithoutReadingIt() {
        Virtqueue queue = driver.queue(false);
        driver.publish(aliasedChain());
        DescriptorChain chain = queue.pop().orElseThrow();
        assertEquals(SIZE * RAM, chain.readableLength(), "aliased descriptors claim more than guest RAM");
        assertTrue(chain.readAll(64 * 1024).isEmpty());
    }

    @Test
    void readAllReturnsAChainAtItsLimit() {
        Virtqueue queue = driver.queue(false);
        driver.publish(driver.chain(read("abc".getBytes()), read("de".getBytes())));
        DescriptorChain chain = queue.pop().orElseThrow();
        assertArrayEquals("abcde".getBytes(), chain.readAll(5).orElseThrow());
        assertTrue(chain.readAll(4).isEmpty(), "one byte over");
        assertThrows(IllegalArgumentException.class, () -> chain.readAll(-1));
    }

    @Test
    void anIndirectTableLongerThanTheQueueIsRefused() {
        Virtqueue queue = driver.queue(false);
        int entries = SIZE + 1;
        long table = driver.buffer(null, 16 * entries);
        for (int i = 0; i < entries; i++) {
            driver.descriptor(table, i, 0, (int) RAM, i < entries - 1 ? Virtqueue.DESC_F_NEXT : 0, i + 1);
        }
        driver.descriptor(MockDriver.DESC, 0, table, 16 * entries, Virtqueue.DESC_F_INDIRECT, 0);
        driver.publish(0);
        var e = assertThrows(VirtqueueException.class, queue::pop);
        assertTrue(e.getMessage().contains("longer than the queue size"), e.getMessage());
    }

    @Test
    void anIndirectTableAsLongAsTheQueueIsFollowed() {
        Virtqueue queue = driver.queue(false);
        long table = driver.buffer(null, 16 * SIZE);
        long data = driver.buffer(new byte[] {7}, 1);
        for (int i = 0; i < SIZE; i++) {
            driver.descriptor(table, i, data, 1, i < SIZE - 1 ? Virtqueue.DESC_F_NEXT : 0, i + 1);
        }
        driver.descriptor(MockDriver.DESC, 0, table, 16 * SIZE, Virtqueue.DESC_F_INDIRECT, 0);
        driver.publish(0);
        assertEquals(SIZE, queue.pop().orElseThrow().readable().size());
    }

    @Test
    void readAndWriteAtCrossBufferBoundariesAndStayInTheChain() {
        Virtqueue queue = driver.queue(false);
        driver.publish(driver.chain(read("abc".getBytes()), read("defg".getBytes()), MockDriver.Part.write(2),
                MockDriver.Part.write(3)));
        DescriptorChain chain = queue.take();
        byte[] middle = new byte[4];
        chain.read(2, middle, 0, 4);
        assertArrayEquals("cdef".getBytes(), middle, "from the first buffer's last byte into the second");
        assertThrows(IndexOutOfBoundsException.class, () -> chain.read(4, new byte[4], 0, 4), "past the readable bytes");

        chain.writeAt(1, "xyz".getBytes(), 0, 3);
        assertEquals('x', driver.read(chain.writable().get(0).address(), 2)[1], "from the first buffer's second byte");
        assertArrayEquals("yz".getBytes(), driver.read(chain.writable().get(1).address(), 2));
        assertThrows(IndexOutOfBoundsException.class, () -> chain.writeAt(3, new byte[3], 0, 3), "past the writable bytes");
        assertThrows(IndexOutOfBoundsException.class, () -> chain.read(-1, new byte[1], 0, 1));
    }

    @Test
    void directDescriptorsBeforeAFullIndirectTableAreAllKept() {
        Virtqueue queue = driver.queue(false);
        long data = driver.buffer(new byte[] {7}, 1);
        for (int i = 0; i < SIZE - 1; i++) {
            driver.descriptor(MockDriver.DESC, i, data, 1, Virtqueue.DESC_F_NEXT, i + 1);
        }
        long table = driver.buffer(null, 16 * SIZE);
        for (int i = 0; i < SIZE; i++) {
            driver.descriptor(table, i, data, 1, i < SIZE - 1 ? Virtqueue.DESC_F_NEXT : 0, i + 1);
        }
        driver.descriptor(MockDriver.DESC, SIZE - 1, table, 16 * SIZE, Virtqueue.DESC_F_INDIRECT, 0);
        driver.publish(0);
        DescriptorChain chain = queue.take();
        assertEquals(2 * SIZE - 1, chain.readable().size());
        assertEquals(2 * SIZE - 1, chain.readableLength());
        assertEquals(null, queue.take(), "nothing more published");
    }
}
