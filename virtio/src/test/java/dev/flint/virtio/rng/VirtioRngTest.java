package dev.flint.virtio.rng;

import dev.flint.virtio.VirtioDevice;
import dev.flint.virtio.queue.MockDriver;
import org.junit.jupiter.api.Test;

import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.flint.virtio.queue.MockDriver.Part.read;
import static dev.flint.virtio.queue.MockDriver.Part.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VirtioRngTest {
    private final MockDriver driver = new MockDriver(16);
    private final AtomicInteger interrupts = new AtomicInteger();
    private final AtomicInteger broken = new AtomicInteger();
    private final VirtioDevice.DriverSignals signals = new VirtioDevice.DriverSignals() {
        @Override
        public void usedBuffers() {
            interrupts.incrementAndGet();
        }

        @Override
        public void deviceBroken() {
            broken.incrementAndGet();
        }
    };

    @Test
    void fillsEachOfferedBufferWithFreshBytes() {
        VirtioRng rng = new VirtioRng(new SecureRandom());
        rng.activate(List.of(driver.queue(false)), VirtioDevice.F_VERSION_1, signals);
        int a = driver.chain(write(32));
        int b = driver.chain(write(16), write(16));
        driver.publish(a);
        driver.publish(b);
        rng.queueNotify(0);

        List<MockDriver.Used> used = driver.used();
        assertEquals(List.of(new MockDriver.Used(a, 32), new MockDriver.Used(b, 32)), used);
        byte[] first = driver.read(driver.bufferOf(a), 32);
        assertFalse(java.util.Arrays.equals(first, new byte[32]), "the buffer was written");
        assertNotEquals(java.util.Arrays.toString(first), java.util.Arrays.toString(driver.read(driver.bufferOf(b), 16)));
        assertEquals(1, interrupts.get());
    }

    @Test
    void bytesComeFromTheGivenSource() {
        SecureRandom fixed = new SecureRandom() {
            @Override
            public void nextBytes(byte[] bytes) {
                java.util.Arrays.fill(bytes, (byte) 7);
            }
        };
        VirtioRng rng = new VirtioRng(fixed);
        rng.activate(List.of(driver.queue(false)), VirtioDevice.F_VERSION_1, signals);
        int head = driver.chain(write(4));
        driver.publish(head);
        rng.queueNotify(0);
        assertArrayEquals(new byte[] {7, 7, 7, 7}, driver.read(driver.bufferOf(head), 4));
    }

    @Test
    void aChainWithoutWritableBuffersUsesNothingAndAMalformedOneBreaksTheDevice() {
        VirtioRng rng = new VirtioRng();
        rng.activate(List.of(driver.queue(false)), VirtioDevice.F_VERSION_1, signals);
        driver.publish(driver.chain(read(new byte[4])));
        rng.queueNotify(0);
        assertEquals(0, driver.used().get(0).length());
        driver.publish(15);
        driver.descriptor(MockDriver.DESC, 15, (4 << 20) - 2, 8, 2, 0);
        rng.queueNotify(0);
        assertEquals(1, broken.get());
    }

    @Test
    void withEventIdxABurstCostsOneNotificationAndTheDriverIsInterruptedOnlyPastUsedEvent() {
        VirtioRng rng = new VirtioRng();
        assertEquals(VirtioDevice.F_RING_EVENT_IDX, rng.features() & VirtioDevice.F_RING_EVENT_IDX, "offered");
        rng.activate(List.of(driver.queue(true)), VirtioDevice.F_VERSION_1 | VirtioDevice.F_RING_EVENT_IDX, signals);
        assertTrue(driver.publishAndAskNotify(driver.chain(write(8))), "the first chain is notified");
        rng.queueNotify(0);
        assertEquals(1, driver.used().size());
        assertEquals(1, interrupts.get(), "the first used buffer always interrupts");
        assertEquals(1, driver.availEvent(), "the device asks to hear of the next chain");

        driver.usedEvent(2);   // interrupt me only once used.idx passes 2
        assertTrue(driver.publishAndAskNotify(driver.chain(write(8))));
        assertFalse(driver.publishAndAskNotify(driver.chain(write(8))), "the burst's second chain needs no exit");
        rng.queueNotify(0);
        assertEquals(2, driver.used().size(), "one notification served the whole burst");
        assertEquals(2, interrupts.get(), "used.idx went past 2: one interrupt");

        driver.usedEvent(10);
        assertTrue(driver.publishAndAskNotify(driver.chain(write(8))));
        rng.queueNotify(0);
        assertEquals(1, driver.used().size());
        assertEquals(2, interrupts.get(), "used.idx 4 has not passed used_event 10: no interrupt");
    }
}
