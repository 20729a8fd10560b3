package dev.flint.vmm;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A device's I/O worker: off the loop, in order, and paused and stopped with its event loop. */
class IoWorkerTest {
    private static void await(CountDownLatch latch) {
        try {
            assertTrue(latch.await(10, TimeUnit.SECONDS), "timed out");
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void tasksRunInOrderOnTheDevicesOwnThread() throws Exception {
        List<String> ran = new CopyOnWriteArrayList<>();
        CountDownLatch done = new CountDownLatch(3);
        try (EventLoop loop = new EventLoop("test", Throwable::printStackTrace)) {
            IoWorker worker = loop.ioWorker("disk");
            for (int i = 0; i < 3; i++) {
                int task = i;
                worker.execute(() -> {
                    ran.add(task + " " + Thread.currentThread().getName());
                    done.countDown();
                });
            }
            await(done);
        }
        assertEquals(List.of("0 flint-test-disk-io", "1 flint-test-disk-io", "2 flint-test-disk-io"), ran);
    }

    @Test
    void quiesceWaitsForTheRunningTaskAndHoldsTheQueuedOnesUntilResume() throws Exception {
        CountDownLatch slowStarted = new CountDownLatch(1);
        CountDownLatch releaseSlow = new CountDownLatch(1);
        CountDownLatch nextRan = new CountDownLatch(1);
        try (EventLoop loop = new EventLoop("test", Throwable::printStackTrace)) {
            IoWorker worker = loop.ioWorker("disk");
            worker.execute(() -> {
                slowStarted.countDown();
                await(releaseSlow);
            });
            worker.execute(nextRan::countDown);
            await(slowStarted);
            CompletableFuture<Void> quiesced = CompletableFuture.runAsync(loop::quiesce);
            assertThrows(TimeoutException.class, () -> quiesced.get(200, TimeUnit.MILLISECONDS),
                    "quiesce returned with a task running");
            releaseSlow.countDown();
            quiesced.get(10, TimeUnit.SECONDS);
            assertFalse(nextRan.await(200, TimeUnit.MILLISECONDS), "a queued task ran while quiesced");
            loop.resume();
            await(nextRan);
        }
    }

    @Test
    void aFailingTaskGoesToTheLoopsFailureHandlerAndTheWorkerGoesOn() throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch next = new CountDownLatch(1);
        try (EventLoop loop = new EventLoop("test", failure::set)) {
            IoWorker worker = loop.ioWorker("disk");
            worker.execute(() -> {
                throw new IllegalStateException("disk broke");
            });
            worker.execute(next::countDown);
            await(next);
            assertEquals("disk broke", failure.get().getMessage());
        }
    }

    @Test
    void closeDropsQueuedTasksAndStoppedWaitsForTheRunningOne() throws Exception {
        CountDownLatch slowStarted = new CountDownLatch(1);
        CountDownLatch releaseSlow = new CountDownLatch(1);
        CountDownLatch queuedRan = new CountDownLatch(1);
        EventLoop loop = new EventLoop("test", Throwable::printStackTrace);
        IoWorker worker = loop.ioWorker("disk");
        worker.execute(() -> {
            slowStarted.countDown();
            await(releaseSlow);
        });
        worker.execute(queuedRan::countDown);
        await(slowStarted);
        assertFalse(loop.close(Duration.ofMillis(100)), "a task still runs");
        assertFalse(loop.stopped().toCompletableFuture().isDone());
        worker.execute(queuedRan::countDown);
        releaseSlow.countDown();
        loop.stopped().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertFalse(queuedRan.await(100, TimeUnit.MILLISECONDS), "queued and later tasks are dropped at close");
        assertThrows(IllegalStateException.class, () -> loop.ioWorker("late"));
    }

    @Test
    void aWorkerMadeWhileTheLoopIsQuiescedWaitsForTheResume() throws Exception {
        CountDownLatch ran = new CountDownLatch(1);
        try (EventLoop loop = new EventLoop("test", Throwable::printStackTrace)) {
            loop.quiesce();
            loop.ioWorker("disk").execute(ran::countDown);
            assertFalse(ran.await(200, TimeUnit.MILLISECONDS));
            loop.resume();
            await(ran);
        }
    }
}
