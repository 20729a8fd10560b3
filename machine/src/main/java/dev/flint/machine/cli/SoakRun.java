package dev.flint.machine.cli;

import dev.flint.machine.Engine;
import dev.flint.machine.ExecOptions;
import dev.flint.machine.ExecResult;
import dev.flint.machine.FlintException;
import dev.flint.machine.Machine;
import dev.flint.machine.MachineConfig;
import dev.flint.machine.MachineState;
import dev.flint.machine.NetworkPolicy;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * The soak's workload against one engine: a warm-up with every machine at once through every
 * call; then create/exec/delete cycles one after another; then machines side by side, each
 * doing random exec, stop, start and delete (and a new machine) until the time is up. Every
 * call runs under a deadline ({@link CallDeadline}), and every answer is checked (an exec's
 * output, the state after stop and start). The process is sampled after the warm-up and again
 * once everything is deleted; create and exec are timed after the warm-up too. The first failure
 * ends the run.
 */
final class SoakRun {
    /**
     * What to run: the sizes, each machine's memory, the deadline of every call, the random seed,
     * the growth allowed, and how long the process may take after the last delete to let go of
     * threads and fds that end asynchronously.
     */
    record Settings(int cycles, int machines, Duration mix, int memoryMb, Duration deadline, long seed,
                    Tolerance tolerance, Duration settle) {
    }

    /** What happened. {@code start} is null when the warm-up failed. */
    record Result(Settings settings, Map<String, Long> calls, Latencies creates, Latencies execs, ProcessSample start,
                  ProcessSample end, List<String> failures, Throwable firstError, Duration elapsed) {
        boolean passed() {
            return failures.isEmpty();
        }

        long totalCalls() {
            return calls.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    private static final int MAX_FAILURES = 10;

    private final Engine engine;
    private final Settings settings;
    private final PrintStream progress;
    private final Map<String, LongAdder> calls = new ConcurrentHashMap<>();
    private final Latencies creates = new Latencies();
    private final Latencies execs = new Latencies();
    private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
    private final AtomicReference<Throwable> firstError = new AtomicReference<>();
    private final AtomicLong serial = new AtomicLong();
    private final ExecOptions execOptions;
    private final Duration bootTimeout;
    /** Off during the warm-up: its first boots in a cold JVM are not what the percentiles describe. */
    private volatile boolean timing;

    SoakRun(Engine engine, Settings settings, PrintStream progress) {
        this.engine = engine;
        this.settings = settings;
        this.progress = progress;
        // Inside the call's deadline, so a slow boot or exec is their own timeout, not a "hang".
        this.bootTimeout = settings.deadline().multipliedBy(9).dividedBy(10);
        this.execOptions = ExecOptions.builder().timeout(settings.deadline().dividedBy(2)).build();
    }

    Result run() {
        long began = System.nanoTime();
        ProcessSample start = null;
        ProcessSample end = null;
        progress.printf("soak: warm-up, %d machines at once through every call%n", settings.machines());
        side(settings.machines(), this::warmUp);
        if (!failed()) {
            start = ProcessSample.now();
            timing = true;
            progress.printf("soak: %d create/exec/delete cycles%n", settings.cycles());
            for (int i = 0; i < settings.cycles() && !failed(); i++) {
                guarded(this::cycle);
            }
        }
        if (!failed() && settings.mix().isPositive()) {
            progress.printf("soak: %d machines at random exec/stop/start/delete for %s%n", settings.machines(),
                    Latencies.format(settings.mix()));
            long until = System.nanoTime() + settings.mix().toNanos();
            side(settings.machines(), worker -> mix(new Random(settings.seed() + worker), until));
        }
        if (start != null && !failed()) {
            end = settle(start);
            failures.addAll(settings.tolerance().exceeded(start, end));
        }
        Map<String, Long> counted = new TreeMap<>();
        calls.forEach((kind, n) -> counted.put(kind, n.sum()));
        return new Result(settings, counted, creates, execs, start, end, List.copyOf(failures), firstError.get(),
                Duration.ofNanos(System.nanoTime() - began));
    }

    private interface Step {
        void run() throws Exception;
    }

    private interface Worker {
        void run(int worker) throws Exception;
    }

    /** Runs {@code worker} on {@code count} threads side by side and waits for all (every call in them has a deadline). */
    private void side(int count, Worker worker) {
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int index = i;
            threads.add(Thread.ofPlatform().name("soak-worker-" + i).start(() -> guarded(() -> worker.run(index))));
        }
        for (Thread thread : threads) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail(e);
                return;
            }
        }
    }

    private void guarded(Step step) {
        try {
            step.run();
        } catch (Exception e) {
            fail(e);
        }
    }

    private void warmUp(int worker) throws Exception {
        Machine machine = create();
        try {
            exec(machine);
            stop(machine);
            start(machine);
            exec(machine);
        } finally {
            delete(machine);
        }
    }

    private void cycle() throws Exception {
        Machine machine = create();
        try {
            exec(machine);
        } finally {
            delete(machine);
        }
    }

    /** One machine's random walk: mostly exec; sometimes stop (then start), or delete it and create another. */
    private void mix(Random random, long until) throws Exception {
        Machine machine = create();
        boolean running = true;
        try {
            while (System.nanoTime() < until && !failed()) {
                double dice = random.nextDouble();
                if (running && dice < 0.70) {
                    exec(machine);
                } else if (running && dice < 0.85) {
                    stop(machine);
                    running = false;
                } else if (!running && dice < 0.75) {
                    start(machine);
                    running = true;
                } else {
                    delete(machine);
                    machine = null;
                    machine = create();
                    running = true;
                }
            }
        } finally {
            if (machine != null) {
                delete(machine);
            }
        }
    }

    private Machine create() throws Exception {
        MachineConfig config = MachineConfig.builder().name("soak-" + serial.incrementAndGet())
                .memoryMb(settings.memoryMb()).network(NetworkPolicy.none()).bootTimeout(bootTimeout).build();
        return call("create", "create " + config.name(), creates, () -> engine.create(config));
    }

    private void exec(Machine machine) throws Exception {
        String token = "soak-" + serial.incrementAndGet();
        ExecResult result = call("exec", "exec on " + machine.name(), execs,
                () -> machine.exec(List.of("echo", token), execOptions));
        if (result.exitCode() != 0 || !result.stdout().equals(token + "\n")) {
            throw new FlintException("exec of 'echo " + token + "' on " + machine.name() + " answered " + result.status()
                    + " with stdout '" + result.stdout() + "' and stderr '" + result.stderr() + "'");
        }
    }

    private void stop(Machine machine) throws Exception {
        call("stop", "stop of " + machine.name(), null, () -> {
            machine.stop();
            return null;
        });
        expectState(machine, MachineState.STOPPED);
    }

    private void start(Machine machine) throws Exception {
        call("start", "start of " + machine.name(), null, () -> {
            machine.start(bootTimeout);
            return null;
        });
        expectState(machine, MachineState.RUNNING);
    }

    private void delete(Machine machine) throws Exception {
        call("delete", "delete of " + machine.name(), null, () -> {
            machine.delete();
            return null;
        });
    }

    private void expectState(Machine machine, MachineState expected) throws Exception {
        MachineState state = call("status", "status of " + machine.name(), null, machine::status);
        if (state != expected) {
            throw new FlintException("machine " + machine.name() + " is " + state + " where it should be " + expected);
        }
    }

    /** Counts the call, runs it under the deadline, and times it into {@code latencies} if given. */
    private <T> T call(String kind, String what, Latencies latencies, Callable<T> call) throws Exception {
        calls.computeIfAbsent(kind, k -> new LongAdder()).increment();
        long began = System.nanoTime();
        T result = CallDeadline.call(what, settings.deadline(), call);
        if (latencies != null && timing) {
            latencies.add(System.nanoTime() - began);
        }
        return result;
    }

    /** Samples until the end is within tolerance or the settle time has passed. */
    private ProcessSample settle(ProcessSample start) {
        long until = System.nanoTime() + settings.settle().toNanos();
        ProcessSample end = ProcessSample.now();
        while (!settings.tolerance().exceeded(start, end).isEmpty() && System.nanoTime() < until) {
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            end = ProcessSample.now();
        }
        return end;
    }

    private boolean failed() {
        return firstError.get() != null;
    }

    private void fail(Throwable error) {
        firstError.compareAndSet(null, error);
        if (failures.size() < MAX_FAILURES) {
            String message = error.getMessage() == null ? error.toString() : error.getMessage();
            failures.add(error instanceof CallDeadline.HangException ? message : "a call failed: " + message);
        }
    }
}
