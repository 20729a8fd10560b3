package dev.flint.vmm;

import dev.flint.vmm.sys.EventFd;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The device thread over real eventfds and epoll (plain syscalls: no KVM needed). */
class EventLoopTest {
    @Test
    void signalledEventFdRunsItsHandlerOnTheLoopThread() throws Exception {
        AtomicReference<String> threadName = new AtomicReference<>();
        CountDownLatch ran = new CountDownLatch(2);
        try (EventLoop loop = new EventLoop("test", Throwable::printStackTrace); EventFd fd = EventFd.create()) {
            loop.register(fd, () -> {
                threadName.set(Thread.currentThread().getName());
                ran.countDown();
            });
            fd.signal();
            Thread.sleep(20);
            fd.signal();
            assertTrue(ran.await(5, TimeUnit.SECONDS), "handler ran once per signal");
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
}
