package dev.flint.vmm;

import dev.flint.vmm.sys.EventFd;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The device thread over real eventfds and epoll (plain syscalls: no KVM needed). */
class EventLoopTest {
    @Test
    void signalledEventFdRunsItsHandlerOnTheLoopThread() throws Exception {
        AtomicReference<String> threadName = new AtomicReference<>();
        Semaphore runs = new Semaphore(0);
        try (EventLoop loop = new EventLoop("test", Throwable::printStackTrace); EventFd fd = EventFd.create()) {
            loop.register(fd, () -> {
                threadName.set(Thread.currentThread().getName());
                runs.release();
            });
            // The second signal waits for the first run: two signals before the loop drains are one run.
            fd.signal();
            assertTrue(runs.tryAcquire(5, TimeUnit.SECONDS), "the handler ran for the first signal");
            fd.signal();
            assertTrue(runs.tryAcquire(5, TimeUnit.SECONDS), "the handler ran again for the second");
            assertEquals("flint-test-events", threadName.get());
            assertEquals(0, fd.drain(), "the loop drained the counter before running the handler");
        }
    }

    @Test
    void aFailingHandlerIsReportedAndTheLoopGoesOn() throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch second = new CountDownLatch(1);
        try (EventLoop loop = new EventLoop("test", failure::set);
             EventFd bad = EventFd.create(); EventFd good = EventFd.create()) {
            loop.register(bad, () -> {
                throw new IllegalStateException("device broke");
            });
            loop.register(good, second::countDown);
            bad.signal();
            good.signal();
            assertTrue(second.await(5, TimeUnit.SECONDS));
            assertEquals("device broke", failure.get().getMessage());
        }
    }

    @Test
    void eventFdCountsSignalsUntilDrained() throws Exception {
        try (EventFd fd = EventFd.create()) {
            assertEquals(0, fd.drain());
            fd.signal();
            fd.signal();
            assertEquals(2, fd.drain());
            assertEquals(0, fd.drain());
        }
    }

    @Test
    void quiesceWaitsForTheRunningHandlerAndRunsNoOtherUntilResumed() throws Exception {
        CountDownLatch slowStarted = new CountDownLatch(1);
        CountDownLatch releaseSlow = new CountDownLatch(1);
        AtomicInteger quickRuns = new AtomicInteger();
        CountDownLatch quickRan = new CountDownLatch(1);
        try (EventLoop loop = new EventLoop("test", Throwable::printStackTrace);
             EventFd slow = EventFd.create(); EventFd quick = EventFd.create()) {
            loop.register(slow, () -> {
                slowStarted.countDown();
                await(releaseSlow);
            });
            loop.register(quick, () -> {
                quickRuns.incrementAndGet();
                quickRan.countDown();
            });
            slow.signal();
            assertTrue(slowStarted.await(5, TimeUnit.SECONDS));
            CompletableFuture<Void> quiesced = CompletableFuture.runAsync(loop::quiesce);
            assertThrows(TimeoutException.class, () -> quiesced.get(200, TimeUnit.MILLISECONDS),
                    "quiesce returns only once the running handler has");
            releaseSlow.countDown();
            quiesced.get(5, TimeUnit.SECONDS);

            quick.signal();
            quick.signal();
            loop.quiesce(); // idempotent, and returns at once: nothing runs
            Thread.sleep(200);
            assertEquals(0, quickRuns.get(), "no handler runs while quiesced");

            loop.resume();
            assertTrue(quickRan.await(5, TimeUnit.SECONDS), "the signal that came while quiesced is handled after");
            loop.resume();
            Thread.sleep(50);
            assertEquals(1, quickRuns.get(), "both signals were one drain, one run");
        }
    }

    @Test
    void aQuiescedLoopCloses() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        try (EventFd fd = EventFd.create()) {
            EventLoop loop = new EventLoop("test", Throwable::printStackTrace);
            loop.register(fd, runs::incrementAndGet);
            loop.quiesce();
            fd.signal();
            Thread.sleep(50);
            assertTrue(loop.close(Duration.ofSeconds(5)), "close ends a quiesced loop's thread");
            assertEquals(0, runs.get(), "the handler signalled while quiesced never ran");
            loop.quiesce();
            loop.resume();
        }
    }

    @Test
    void quiesceFromAHandlerDoesNotWaitForItself() throws Exception {
        CountDownLatch returned = new CountDownLatch(1);
        AtomicInteger after = new AtomicInteger();
        try (EventLoop loop = new EventLoop("test", Throwable::printStackTrace);
             EventFd self = EventFd.create(); EventFd other = EventFd.create()) {
            loop.register(self, () -> {
                loop.quiesce();
                returned.countDown();
            });
            loop.register(other, after::incrementAndGet);
            self.signal();
            assertTrue(returned.await(5, TimeUnit.SECONDS));
            other.signal();
            Thread.sleep(100);
            assertFalse(after.get() > 0, "quiesced from inside: the next handler waits");
            loop.resume();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (after.get() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertEquals(1, after.get());
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
