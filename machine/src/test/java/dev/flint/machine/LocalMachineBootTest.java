package dev.flint.machine;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A stop or delete while {@link LocalMachine#start} boots: the boot does not hold the machine's
 * lock, the stop cancels it at once. The fake boot behaves as {@link RunningGuest#boot} does: it
 * hands the cancel a way to stop its VM, then waits for its agent, which never answers, until the
 * VM stops (or a minute passes, which would be the bug: a stop waiting behind the boot).
 */
class LocalMachineBootTest {
    private final CountDownLatch booting = new CountDownLatch(1);
    private final CountDownLatch vmStopped = new CountDownLatch(1);

    private LocalMachine machine() {
        MachineConfig config = MachineConfig.builder().name("slow").build();
        return new LocalMachine("m-slowslowslowslow", config, Optional.empty(), Optional.empty(), new ConsoleLog(1024, null),
                Instant.now(), (cfg, disk, mac, console, timeout, cancel) -> {
                    cancel.onCancel(vmStopped::countDown);
                    booting.countDown();
                    try {
                        if (vmStopped.await(1, TimeUnit.MINUTES)) {
                            throw new AgentUnavailableException("machine slow stopped while booting (STOPPED)", null);
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    throw new AgentUnavailableException("the agent of machine slow did not answer within 60 s", null);
                });
    }

    private CompletableFuture<Void> startInBackground(LocalMachine machine) throws InterruptedException {
        CompletableFuture<Void> start = CompletableFuture.runAsync(() -> machine.start(Duration.ofMinutes(1)),
                r -> Thread.ofVirtual().start(r));
        assertTrue(booting.await(10, TimeUnit.SECONDS), "the boot began");
        return start;
    }

    @Test
    void aStopDuringABootCancelsItPromptly() throws Exception {
        LocalMachine machine = machine();
        CompletableFuture<Void> start = startInBackground(machine);
        assertEquals(MachineState.BOOTING, machine.status());

        long begin = System.nanoTime();
        machine.stop(Duration.ofSeconds(10));
        Duration took = Duration.ofNanos(System.nanoTime() - begin);

        assertTrue(took.compareTo(Duration.ofSeconds(2)) < 0, "stop took " + took.toMillis() + " ms");
        assertEquals(MachineState.STOPPED, machine.status());
        assertEquals("stopped by the host while booting", machine.info().lastStopReason().orElseThrow());
        ExecutionException failed = assertThrows(ExecutionException.class, () -> start.get(5, TimeUnit.SECONDS));
        MachineStateException e = assertInstanceOf(MachineStateException.class, failed.getCause());
        assertEquals("machine slow was stopped while it booted (stopped by the host); start() it again", e.getMessage());
    }

    @Test
    void aDeleteDuringABootCancelsItPromptly() throws Exception {
        LocalMachine machine = machine();
        CompletableFuture<Void> start = startInBackground(machine);

        long begin = System.nanoTime();
        machine.delete();
        Duration took = Duration.ofNanos(System.nanoTime() - begin);

        assertTrue(took.compareTo(Duration.ofSeconds(2)) < 0, "delete took " + took.toMillis() + " ms");
        assertEquals(MachineState.DELETED, machine.status());
        ExecutionException failed = assertThrows(ExecutionException.class, () -> start.get(5, TimeUnit.SECONDS));
        assertTrue(failed.getCause().getMessage().startsWith("machine slow was deleted while it booted"),
                failed.getCause().getMessage());
    }

    @Test
    void aBootThatFailsByItselfSaysWhy() throws Exception {
        LocalMachine machine = machine();
        vmStopped.countDown();   // the guest's VM ends by itself at once
        FlintException e = assertThrows(AgentUnavailableException.class, () -> machine.start(Duration.ofMinutes(1)));
        assertEquals(MachineState.STOPPED, machine.status());
        assertEquals("boot failed: " + e.getMessage(), machine.info().lastStopReason().orElseThrow());
    }
}
