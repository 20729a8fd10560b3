package dev.flint.machine;

import dev.flint.agent.AgentClient;
import dev.flint.vmm.VmExit;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AgentWaitTest {
    private static final Duration PERIOD = Duration.ofMillis(200);
    private static final Duration BOOT_TIMEOUT = Duration.ofSeconds(20);

    private final ConsoleLog console = new ConsoleLog(4096, null);

    /**
     * A booting guest as {@link dev.flint.vmm.VirtualMachine} behaves: the signal and the VM's
     * end as futures, the wait ending with either. Its agent accepts a connect only once it
     * listens ({@code listensAt}); each connect is logged with the time it came.
     */
    private static final class FakeGuest implements AgentWait.Guest {
        final CompletableFuture<Void> signal = new CompletableFuture<>();
        final CompletableFuture<VmExit> exit = new CompletableFuture<>();
        final List<Long> connects = new ArrayList<>();
        final long bornAt = System.nanoTime();
        volatile long listensAt = Long.MAX_VALUE;

        @Override
        public boolean awaitAgentListening(Duration timeout) throws InterruptedException {
            try {
                CompletableFuture.anyOf(signal, exit).get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                return false;
            } catch (ExecutionException e) {
                throw new AssertionError(e);
            }
            return signal.isDone();
        }

        @Override
        public VmExit exitIfEnded() {
            return exit.getNow(null);
        }

        @Override
        public AgentClient connect(Duration attempt, Duration hello) throws IOException {
            long now = System.nanoTime();
            synchronized (connects) {
                connects.add(now - bornAt);
            }
            if (now < listensAt) {
                throw new ConnectException("connection refused by guest port 1024");
            }
            return null;   // the wait hands over what connect made; no agent is needed to count connects
        }

        /** The agent listens from {@code delay} after the guest's birth, and says nothing. */
        void listenSilentlyAfter(Duration delay) {
            listensAt = bornAt + delay.toNanos();
        }

        /** The agent listens and signals it after {@code delay}. */
        void listenAndSignalAfter(Duration delay) {
            Thread.ofVirtual().start(() -> {
                sleep(delay);
                listensAt = System.nanoTime();
                signal.complete(null);
            });
        }

        /** The connects that came once the agent listened. */
        long connectsSinceListening() {
            synchronized (connects) {
                return connects.stream().filter(at -> bornAt + at >= listensAt).count();
            }
        }

        void endAfter(Duration delay, VmExit how) {
            Thread.ofVirtual().start(() -> {
                sleep(delay);
                exit.complete(how);
            });
        }

        int connectCount() {
            synchronized (connects) {
                return connects.size();
            }
        }
    }

    private static void sleep(Duration delay) {
        try {
            Thread.sleep(delay);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private AgentWait waitFor() {
        return new AgentWait("m1", console, PERIOD);
    }

    private static long millisSince(long start) {
        return Duration.ofNanos(System.nanoTime() - start).toMillis();
    }

    @Test
    void connectsExactlyOnceRightAfterTheSignal() {
        FakeGuest guest = new FakeGuest();
        guest.listenAndSignalAfter(Duration.ofMillis(250));
        long start = System.nanoTime();
        new AgentWait("m1", console, Duration.ofSeconds(10)).connect(guest, start, BOOT_TIMEOUT);
        assertEquals(1, guest.connectCount(), "no connect before the signal, one after it: " + guest.connects);
        long connectedAt = Duration.ofNanos(guest.connects.getFirst()).toMillis();
        assertTrue(connectedAt >= 250 && connectedAt < 1_000,
                "the connect follows the signal, not the 10 s fallback: at " + connectedAt + " ms");
    }

    @Test
    void theFallbackAttemptsBeforeTheSignalDoNotAddConnectsAfterIt() {
        FakeGuest guest = new FakeGuest();
        guest.listenAndSignalAfter(Duration.ofMillis(500));
        waitFor().connect(guest, System.nanoTime(), BOOT_TIMEOUT);
        assertEquals(1, guest.connectsSinceListening(), "connects: " + guest.connects);
    }

    @Test
    void aSignalThatAlreadyCameConnectsAtOnce() {
        FakeGuest guest = new FakeGuest();   // a restored VM: its agent signalled before the snapshot
        guest.listensAt = 0;
        guest.signal.complete(null);
        long start = System.nanoTime();
        waitFor().connect(guest, start, BOOT_TIMEOUT);
        assertEquals(1, guest.connectCount());
        assertTrue(millisSince(start) < PERIOD.toMillis(), "took " + millisSince(start) + " ms");
    }

    @Test
    void aVmThatCrashesWhileWaitingFailsAtOnceWithTheCrash() throws IOException {
        FakeGuest guest = new FakeGuest();
        console.write("[    1.0] Kernel panic - not syncing: Attempted to kill init!\n".getBytes(StandardCharsets.UTF_8));
        guest.endAfter(Duration.ofMillis(150), new VmExit(VmExit.Reason.CRASH, "unannounced i8042 reset"));
        long start = System.nanoTime();
        GuestCrashedException e = assertThrows(GuestCrashedException.class,
                () -> new AgentWait("m1", console, Duration.ofSeconds(10)).connect(guest, start, BOOT_TIMEOUT));
        assertTrue(millisSince(start) < 2_000, "the end cut the 10 s wait short: " + millisSince(start) + " ms");
        assertTrue(e.getMessage().contains("the guest of machine m1 crashed (Kernel panic - not syncing: Attempted"
                + " to kill init!)"), e.getMessage());
        assertEquals(0, guest.connectCount(), "nothing to connect to in a VM that ended");
    }

    @Test
    void aVmStoppedWhileWaitingSaysSo() {
        FakeGuest guest = new FakeGuest();
        guest.endAfter(Duration.ofMillis(50), new VmExit(VmExit.Reason.STOPPED, "stopped by the host"));
        AgentUnavailableException e = assertThrows(AgentUnavailableException.class,
                () -> new AgentWait("m1", console, Duration.ofSeconds(10)).connect(guest, System.nanoTime(), BOOT_TIMEOUT));
        assertTrue(e.getMessage().startsWith("machine m1 stopped while booting"), e.getMessage());
    }

    @Test
    void anAgentThatNeverSignalsIsTriedOncePerPeriod() {
        FakeGuest guest = new FakeGuest();
        guest.listenSilentlyAfter(Duration.ofMillis(500));   // an older agent: listens, says nothing
        waitFor().connect(guest, System.nanoTime(), BOOT_TIMEOUT);
        assertEquals(3, guest.connectCount(), "refused at 200 and 400 ms, connected at 600: " + guest.connects);
        for (int i = 1; i < guest.connects.size(); i++) {
            long gap = Duration.ofNanos(guest.connects.get(i) - guest.connects.get(i - 1)).toMillis();
            assertTrue(gap >= PERIOD.toMillis() - 1, "attempts " + gap + " ms apart: " + guest.connects);
        }
    }

    @Test
    void anAgentThatNeverAnswersFailsAtTheBootDeadline() {
        FakeGuest guest = new FakeGuest();
        long start = System.nanoTime();
        AgentUnavailableException e = assertThrows(AgentUnavailableException.class,
                () -> waitFor().connect(guest, start, Duration.ofMillis(650)));
        assertTrue(millisSince(start) >= 650, "waited " + millisSince(start) + " ms");
        assertTrue(e.getMessage().startsWith("the agent of machine m1 did not answer within 0 s (connection refused"),
                e.getMessage());
        assertTrue(guest.connectCount() >= 2 && guest.connectCount() <= 4, "one a period: " + guest.connects);
    }

    @Test
    void aConnectRefusedInSpiteOfTheSignalIsRetriedSoonThenLessOftenNotInALoop() {
        FakeGuest guest = new FakeGuest();
        guest.signal.complete(null);
        guest.listenSilentlyAfter(Duration.ofMillis(300));
        long start = System.nanoTime();
        waitFor().connect(guest, start, BOOT_TIMEOUT);
        long took = millisSince(start);
        // pauses of 20, 40, 80, 160, then the 200 ms period: connects at 0, 20, 60, 140, 300, 500 ms
        assertTrue(took >= 300 && took < 300 + PERIOD.toMillis() + 150, "connected " + took + " ms in: " + guest.connects);
        assertTrue(guest.connectCount() >= 4 && guest.connectCount() <= 7, "a pause that grows: " + guest.connects);
        long firstGap = Duration.ofNanos(guest.connects.get(1) - guest.connects.get(0)).toMillis();
        long lastGap = Duration.ofNanos(guest.connects.getLast() - guest.connects.get(guest.connects.size() - 2)).toMillis();
        assertTrue(firstGap >= AgentWait.FIRST_RETRY.toMillis() - 1 && firstGap < 100, "first retry after " + firstGap + " ms");
        assertTrue(lastGap > firstGap, "the pause grew: " + guest.connects);
    }
}
