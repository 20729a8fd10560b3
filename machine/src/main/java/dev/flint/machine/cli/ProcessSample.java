package dev.flint.machine.cli;

import dev.flint.machine.FlintException;
import dev.flint.vmm.sys.Libc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;

/**
 * What this process holds, from /proc/self: open file descriptors, OS threads (every thread of
 * the JVM, not only Java's), resident memory, and the Java heap in use after a GC. The fds are
 * counted before the GC, so a channel left for a cleaner to close still shows as held.
 */
record ProcessSample(int fds, int threads, long residentBytes, long heapUsedBytes) {
    private static final Path STATUS = Path.of("/proc/self/status");
    private static final Path SMAPS_ROLLUP = Path.of("/proc/self/smaps_rollup");
    /** Two samples this close count as settled: a few pages of allocation noise. */
    private static final long SETTLED_BYTES = 64 * 1024;
    private static final Duration SETTLE_INTERVAL = Duration.ofMillis(250);

    static ProcessSample now() {
        int fds = openFds();
        int threads = (int) procValue(STATUS, "Threads:");
        long resident = procValue(STATUS, "VmRSS:") * 1024;
        System.gc();
        Runtime runtime = Runtime.getRuntime();
        return new ProcessSample(fds, threads, resident, runtime.totalMemory() - runtime.freeMemory());
    }

    /**
     * This process's anonymous resident memory in bytes, counted page by page ({@code Anonymous:}
     * of smaps_rollup): exact where VmRSS is a running estimate, and by the rule the guest page
     * count follows (pages of its own mapped here; the shared zero page is not one). Anonymous
     * only, as the guests' pages are: the file pages of the JVM's own libraries, jars and AOT
     * cache are shared with the page cache, and memory pressure evicts them at any time (in the
     * rig's CI run the resident set shrank by more than the VMM added while three machines booted).
     */
    static long residentCounted() {
        return procValue(SMAPS_ROLLUP, "Anonymous:") * 1024;
    }

    /**
     * {@link #residentCounted()} once the JVM has settled: after a full GC, sampled until two
     * samples in a row agree within {@link #SETTLED_BYTES} (or {@code patience} has passed). G1
     * gives the heap it shrinks back to the OS on a background thread after the GC returns, so a
     * sample taken at once can still count megabytes the process is about to give back; the CI's
     * rig run measured the machines' growth 6 MiB short of their own guest pages that way.
     */
    static long settledResident(Duration patience) throws InterruptedException {
        System.gc();
        long deadline = System.nanoTime() + patience.toNanos();
        long last = trimmedResident();
        int agreeing = 0;
        while (agreeing < 2 && System.nanoTime() < deadline) {
            Thread.sleep(SETTLE_INTERVAL);
            long now = trimmedResident();
            agreeing = Math.abs(now - last) <= SETTLED_BYTES ? agreeing + 1 : 0;
            last = now;
        }
        return last;
    }

    /**
     * {@link #residentCounted()} once the C allocator has given back the pages it holds free
     * ({@code malloc_trim(0)}, where the C library is glibc). glibc keeps freed memory and returns
     * it later, at a free of its own choosing: in the rig its main heap shrank by 8.4 MiB while three
     * machines booted, so the growth came out 4 MiB short of their own guest pages (exit 4). Trimmed
     * at both samples, what is counted is memory in use.
     */
    private static long trimmedResident() {
        Libc.mallocTrim();
        return residentCounted();
    }

    private static int openFds() {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return (int) fds.count() - 1;   // the directory stream's own fd
        } catch (IOException e) {
            throw new FlintException("cannot list /proc/self/fd to count open files: " + e.getMessage(), e);
        }
    }

    /** The number on the line of {@code file} starting with {@code key} (kB for sizes). */
    private static long procValue(Path file, String key) {
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.substring(key.length()).replace("kB", "").strip());
                }
            }
        } catch (IOException e) {
            throw new FlintException("cannot read " + file + " to measure this process: " + e.getMessage(), e);
        }
        throw new FlintException(file + " has no " + key + " line; this host cannot measure a process this way");
    }
}
