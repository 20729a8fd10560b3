package dev.flint.benchmarks.rig;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A child process (a VMM) whose merged stdout and stderr is read line by line, so the benchmark
 * can time the moment a given line arrives, counted from just before the process was started.
 */
final class WatchedProcess implements AutoCloseable {
    /** Enough for a JVM's thread dump ({@link #threadDump}). */
    private static final int TAIL_LINES = 400;

    private final Process process;
    private final long startNanos;
    private final Deque<String> tail = new ArrayDeque<>();
    private final List<String> command;
    private final Thread reader;

    private WatchedProcess(List<String> command) throws IOException {
        this.command = command;
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        startNanos = System.nanoTime();
        process = builder.start();
        reader = Thread.ofPlatform().daemon().name("watch-" + process.pid()).start(this::readLines);
    }

    static WatchedProcess start(List<String> command) throws IOException {
        return new WatchedProcess(command);
    }

    private void readLines() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                long now = System.nanoTime();
                synchronized (tail) {
                    tail.addLast(now + " " + line);
                    if (tail.size() > TAIL_LINES) {
                        tail.removeFirst();
                    }
                    tail.notifyAll();
                }
            }
        } catch (IOException e) {
            // The process ended; await() reports what it printed.
        } finally {
            synchronized (tail) {
                tail.notifyAll();
            }
        }
    }

    /**
     * Waits for a line matching {@code wanted} and returns it with the nanoseconds from process
     * start to its arrival. Lines are kept only while waiting for them: call in output order.
     */
    Line await(Predicate<String> wanted, String what, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (tail) {
            while (true) {
                while (!tail.isEmpty()) {
                    String entry = tail.removeFirst();
                    int space = entry.indexOf(' ');
                    String text = entry.substring(space + 1);
                    if (wanted.test(text)) {
                        return new Line(text, Long.parseLong(entry.substring(0, space)) - startNanos);
                    }
                    remember(text);
                }
                long left = deadline - System.nanoTime();
                if (left <= 0 || (!reader.isAlive())) {
                    throw new IllegalStateException(what + " did not appear " + (left <= 0 ? "within "
                            + timeout.toSeconds() + " s" : "before the process ended (exit " + exitCode() + ")")
                            + "; command: " + String.join(" ", command) + "\nlast output:\n" + String.join("\n", seen));
                }
                TimeUnit.NANOSECONDS.timedWait(tail, Math.min(left, 100_000_000L));
            }
        }
    }

    private final Deque<String> seen = new ArrayDeque<>();

    private void remember(String text) {
        seen.addLast(text);  // under the tail lock
        if (seen.size() > TAIL_LINES) {
            seen.removeFirst();
        }
    }

    /**
     * Asks a JVM child for a thread dump (SIGQUIT, which it prints to its stdout) and returns its
     * last lines of output a few seconds later: where a child that stopped answering hangs.
     */
    String threadDump() throws InterruptedException {
        try {
            new ProcessBuilder("sh", "-c", "kill -QUIT " + process.pid()).inheritIO().start().waitFor();
        } catch (IOException e) {
            return "(no thread dump: " + e.getMessage() + ")\n" + recentOutput();
        }
        Thread.sleep(3_000);
        return recentOutput();
    }

    /** The last lines of output, waited for or not, for error messages. */
    String recentOutput() {
        synchronized (tail) {
            List<String> lines = new java.util.ArrayList<>(seen);
            tail.forEach(entry -> lines.add(entry.substring(entry.indexOf(' ') + 1)));
            return String.join("\n", lines.subList(Math.max(0, lines.size() - TAIL_LINES), lines.size()));
        }
    }

    private String exitCode() {
        return process.isAlive() ? "still running" : String.valueOf(process.exitValue());
    }

    /** A line of output and when it arrived, in nanoseconds since the process started. */
    record Line(String text, long nanosSinceStart) {
    }

    /** Nanoseconds since just before the process was started. */
    long nanosSinceStart() {
        return System.nanoTime() - startNanos;
    }

    long pid() {
        return process.pid();
    }

    /** The process's resident set (VmRSS of /proc/PID/status) in KiB, or -1 when it cannot be read. */
    long residentKib() {
        return residentKib(Path.of("/proc", String.valueOf(process.pid()), "status"));
    }

    static long residentKib(Path status) {
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // Reported as unknown.
        }
        return -1;
    }

    /** Waits up to {@code timeout} for the process to end by itself, and its output to be read; true when it did. */
    boolean waitFor(Duration timeout) throws InterruptedException {
        boolean ended = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (ended) {
            reader.join(5_000);
        }
        return ended;
    }

    /** Kills the process (SIGKILL) and its children, and waits for it. */
    @Override
    public void close() throws InterruptedException {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
        reader.join(5_000);
    }
}
