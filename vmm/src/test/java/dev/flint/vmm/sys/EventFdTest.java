package dev.flint.vmm.sys;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The eventfd's reused buffers: signals from many threads at once all count, drains see each count once. */
class EventFdTest {
    @Test
    void signalsFromManyThreadsAreAllCountedAndDrainedOnce() throws Exception {
        try (EventFd fd = EventFd.create()) {
            assertEquals(0, fd.drain(), "a fresh eventfd was not signalled");
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                threads.add(Thread.ofPlatform().start(() -> {
                    for (int i = 0; i < 1000; i++) {
                        try {
                            fd.signal();
                        } catch (ErrnoException e) {
                            throw new IllegalStateException(e);
                        }
                    }
                }));
            }
            for (Thread thread : threads) {
                thread.join();
            }
            assertEquals(4000, fd.drain());
            assertEquals(0, fd.drain(), "the counter was cleared");
            fd.signal();
            assertEquals(1, fd.drain());
        }
    }
}
