package dev.flint.virtio.queue;

import dev.flint.vmm.memory.GuestMemory;
import dev.flint.vmm.memory.MemoryRange;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;

import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * EVENT_IDX notification suppression between a driver thread and the device thread, as in a
 * guest: the driver publishes a chain, issues a full barrier, reads avail_event and notifies
 * only when its new index passed it (Linux's virtqueue_kick_prepare); the device pops until
 * the ring is empty and then sleeps until notified. It is Dekker's pattern: the device's
 * avail_event store and its next avail index load must not be reordered (x86 reorders a store
 * with a later load through its store buffer), or both sides miss each other's write, the
 * driver skips the kick and the device sleeps on a non-empty ring: a lost wakeup.
 *
 * <p>The reordering (the CPU's store buffer, or the JIT moving the plain store) comes by chance,
 * so without the device's full fence this test fails only sometimes: on a busy 2-core x86 host
 * it found a lost wakeup, always between chains 14,000 and 19,000 (once C2 had compiled the
 * loop), in 4 of 5 runs; with the fence no run may fail.
 */
class EventIdxRaceTest {
    private static final int SIZE = 4;
    private static final int CHAINS = 200_000;
    private static final long DESC = 0x1000;
    private static final long AVAIL = 0x2000;
    private static final long USED = 0x3000;

    private final GuestMemory memory = GuestMemory.onHeap(List.of(new MemoryRange(0, 1 << 16)));
    private final MemorySegment availRing = memory.slice(AVAIL, 6 + 2 * SIZE);
    private final MemorySegment usedRing = memory.slice(USED, 6 + 8 * SIZE);
    private final Semaphore kicks = new Semaphore(0);
    private Thread device;

    @Test
    void noWakeupIsLostBetweenADriverAndTheDeviceThread() throws Exception {
        for (int i = 0; i < SIZE; i++) {
            // One readable descriptor per slot; slot i always carries head i.
            memory.slice(DESC + 16L * i, 16).set(JAVA_LONG_UNALIGNED, 0, 0x8000L);
        }
        Virtqueue queue = new Virtqueue(memory, SIZE, DESC, AVAIL, USED, true);
        AtomicReference<Throwable> deviceFailure = new AtomicReference<>();
        device = Thread.ofPlatform().name("event-idx-device").start(() -> {
            try {
                while (true) {
                    queue.serveAll(chain -> 0);
                    kicks.acquire(); // sleeps until the driver kicks, as the event loop does
                }
            } catch (InterruptedException e) {
                // The test is over.
            } catch (Throwable e) {
                deviceFailure.set(e);
            }
        });
        try {
            assertEquals(CHAINS, drive(), "every chain came back");
        } finally {
            device.interrupt();
            device.join();
        }
        assertNull(deviceFailure.get());
    }

    /** The driver's side; returns how many chains came back, failing on a lost wakeup. */
    private int drive() {
        int added = 0;
        for (int chain = 0; chain < CHAINS; chain++) {
            awaitRoom(added);
            availRing.set(JAVA_SHORT_UNALIGNED, 4 + 2L * (added % SIZE), (short) (added % SIZE));
            VarHandle.releaseFence(); // virtio_wmb: the entry before the index
            int old = added;
            added = (added + 1) & 0xffff;
            availRing.set(JAVA_SHORT_UNALIGNED, 2, (short) added);
            VarHandle.fullFence(); // virtio_mb: the index before reading avail_event
            int availEvent = Short.toUnsignedInt(usedRing.get(JAVA_SHORT_UNALIGNED, 4 + 8L * SIZE));
            if (((added - availEvent - 1) & 0xffff) < ((added - old) & 0xffff)) { // vring_need_event
                kicks.release();
            }
        }
        awaitUsed(added, added);
        return CHAINS;
    }

    private void awaitRoom(int added) {
        if (((added - usedIdx()) & 0xffff) >= SIZE) {
            awaitUsed(added, (added - SIZE + 1) & 0xffff);
        }
    }

    /**
     * Spins until used.idx reaches {@code target}. The device parked in its wait with no kick
     * pending while chains are still unused is a lost wakeup: nothing will ever wake it (a kick
     * adds its permit before it unparks the device, so a woken device is never seen parked with
     * none). Asked twice, 10 ms apart, to be sure.
     */
    private void awaitUsed(int added, int target) {
        while (usedBefore(target)) {
            if (asleepWithoutKick() && pause() && asleepWithoutKick() && usedBefore(target)) {
                throw new AssertionError("lost wakeup: the device sleeps with chains pending (avail "
                        + added + ", used " + usedIdx() + ", avail_event "
                        + Short.toUnsignedInt(usedRing.get(JAVA_SHORT_UNALIGNED, 4 + 8L * SIZE)) + ")");
            }
            Thread.onSpinWait();
        }
    }

    /** Whether used.idx has not reached {@code target} yet (16-bit indices, compared modulo 2^16). */
    private boolean usedBefore(int target) {
        return (short) (target - usedIdx()) > 0;
    }

    private boolean asleepWithoutKick() {
        return device.getState() == Thread.State.WAITING && kicks.availablePermits() == 0;
    }

    private static boolean pause() {
        try {
            Thread.sleep(10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return true;
    }

    private int usedIdx() {
        int idx = Short.toUnsignedInt(usedRing.get(JAVA_SHORT_UNALIGNED, 2));
        VarHandle.acquireFence();
        return idx;
    }
}
