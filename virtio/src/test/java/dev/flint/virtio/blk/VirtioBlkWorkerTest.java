package dev.flint.virtio.blk;

import dev.flint.virtio.VirtioDevice;
import dev.flint.virtio.mmio.PartialDeviceContext;
import dev.flint.virtio.queue.MockDriver;
import dev.flint.virtio.rng.VirtioRng;
import dev.flint.vmm.EventLoop;
import dev.flint.vmm.devices.DeviceContext;
import dev.flint.vmm.sys.EventFd;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static dev.flint.virtio.queue.MockDriver.Part.read;
import static dev.flint.virtio.queue.MockDriver.Part.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The disk on its own I/O worker, over a real event loop and the mock driver in heap memory: a
 * flush that blocks on the host holds up neither the loop nor another device on it, and pause
 * (the loop's quiesce), reset and close wait for the request in flight.
 */
class VirtioBlkWorkerTest {
    private final List<Throwable> failures = new CopyOnWriteArrayList<>();
    private final EventLoop loop = new EventLoop("test", failures::add);
    private final GatedStore store = new GatedStore(64 * 512);
    private final VirtioBlk blk = new VirtioBlk(store, false, "disk-0");
    private final MockDriver diskDriver = new MockDriver(16);
    private final Semaphore diskInterrupts = new Semaphore(0);
    private final EventFd diskBell = EventFd.create();

    VirtioBlkWorkerTest() throws Exception {
        blk.attached(new LoopContext(loop));
        blk.activate(List.of(diskDriver.queue(false)), VirtioDevice.F_VERSION_1, signals(diskInterrupts));
        loop.register(diskBell, () -> blk.queueNotify(0));
    }

    @AfterEach
    void close() throws Exception {
        store.gate.countDown();
        loop.close();
        blk.close();
        diskBell.close();
        assertEquals(List.of(), failures);
    }

    private static VirtioDevice.DriverSignals signals(Semaphore interrupts) {
        return new VirtioDevice.DriverSignals() {
            @Override
            public void usedBuffers() {
                interrupts.release();
            }

            @Override
            public void deviceBroken() {
                throw new AssertionError("the device broke");
            }
        };
    }

    /** Puts a flush on the disk's queue and rings its doorbell; returns the status byte's buffer. */
    private long flush() throws Exception {
        byte[] header = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(VirtioBlk.T_FLUSH).array();
        int head = diskDriver.chain(read(header), write(1));
        diskDriver.publish(head);
        diskBell.signal();
        return diskDriver.bufferOf((head + 1) % 16);
    }

    private static void assertStillRunning(CompletableFuture<?> call, String what) {
        assertThrows(TimeoutException.class, () -> call.get(200, TimeUnit.MILLISECONDS), what);
    }

    @Test
    void aFlushBlockedOnTheHostHoldsUpNoOtherDeviceOnTheLoop() throws Exception {
        MockDriver rngDriver = new MockDriver(16);
        Semaphore rngInterrupts = new Semaphore(0);
        VirtioRng rng = new VirtioRng();
        rng.activate(List.of(rngDriver.queue(false)), VirtioDevice.F_VERSION_1, signals(rngInterrupts));
        try (EventFd rngBell = EventFd.create()) {
            loop.register(rngBell, () -> rng.queueNotify(0));
            long status = flush();
            assertTrue(store.flushing.tryAcquire(10, TimeUnit.SECONDS), "the flush started");
            rngDriver.publish(rngDriver.chain(write(32)));
            rngBell.signal();
            assertTrue(rngInterrupts.tryAcquire(10, TimeUnit.SECONDS), "the loop served another device meanwhile");
            assertEquals(32, rngDriver.used().get(0).length());
            assertEquals(0, diskInterrupts.availablePermits(), "the flush is still in flight");
            store.gate.countDown();
            assertTrue(diskInterrupts.tryAcquire(10, TimeUnit.SECONDS));
            assertEquals(VirtioBlk.S_OK, diskDriver.read(status, 1)[0]);
            assertEquals("flint-test-blk-disk-0-io", store.flushThread);
        }
    }

    @Test
    void pauseWaitsForTheRequestInFlightAndServesNoOtherUntilResumed() throws Exception {
        flush();
        assertTrue(store.flushing.tryAcquire(10, TimeUnit.SECONDS));
        CompletableFuture<Void> quiesce = CompletableFuture.runAsync(loop::quiesce);
        assertStillRunning(quiesce, "quiesce returned with a flush in flight");
        store.gate.countDown();
        quiesce.get(10, TimeUnit.SECONDS);
        assertTrue(diskInterrupts.tryAcquire(), "the request completed before the pause took hold");
        assertEquals(1, diskDriver.used().size());
        long status = flush();
        blk.queueNotify(0); // as a restore's first pass over the queues does, past the loop
        assertFalse(diskInterrupts.tryAcquire(200, TimeUnit.MILLISECONDS), "served while paused");
        assertFalse(store.flushing.tryAcquire(), "no request reached the store while paused");
        loop.resume();
        assertTrue(diskInterrupts.tryAcquire(10, TimeUnit.SECONDS));
        assertEquals(VirtioBlk.S_OK, diskDriver.read(status, 1)[0]);
    }

    @Test
    void aResetWaitsForTheRequestInFlightAndServesNothingAfter() throws Exception {
        long status = flush();
        assertTrue(store.flushing.tryAcquire(10, TimeUnit.SECONDS));
        CompletableFuture<Void> reset = CompletableFuture.runAsync(blk::reset); // a vCPU writing status 0
        assertStillRunning(reset, "reset returned with a flush in flight");
        store.gate.countDown();
        reset.get(10, TimeUnit.SECONDS);
        assertTrue(diskInterrupts.tryAcquire(), "the request in flight completed before the reset");
        assertEquals(VirtioBlk.S_OK, diskDriver.read(status, 1)[0]);
        flush();
        assertFalse(diskInterrupts.tryAcquire(200, TimeUnit.MILLISECONDS), "served after the reset");
        assertEquals(1, diskDriver.used().size());
    }

    @Test
    void closeWaitsForTheRequestInFlightBeforeClosingTheStore() throws Exception {
        flush();
        assertTrue(store.flushing.tryAcquire(10, TimeUnit.SECONDS));
        CompletableFuture<Void> close = CompletableFuture.runAsync(() -> {
            try {
                blk.close();
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
        });
        assertStillRunning(close, "close returned with a flush in flight");
        store.gate.countDown();
        close.get(10, TimeUnit.SECONDS);
        assertTrue(store.closed);
        assertFalse(store.closedDuringFlush, "the store was closed under the request");
        assertTrue(diskInterrupts.tryAcquire(10, TimeUnit.SECONDS));
    }

    /** A VM as far as a disk's attach goes: its worker comes from the loop; it asks for nothing else. */
    private record LoopContext(EventLoop loop) implements PartialDeviceContext {
        @Override
        public Executor ioWorker(String name) {
            return loop.ioWorker(name);
        }
    }
}
