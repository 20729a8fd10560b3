package dev.flint.machine.cli;

import java.util.ArrayList;
import java.util.List;

/** How much a soak lets the process's fds, threads and resident memory grow from start to end. */
record Tolerance(int fds, int threads, long residentBytes) {
    private static final double MIB = 1024 * 1024;

    /** One line per measure that grew past its tolerance; empty when all stayed within. */
    List<String> exceeded(ProcessSample start, ProcessSample end) {
        List<String> grown = new ArrayList<>();
        if (end.fds() - start.fds() > fds) {
            grown.add("open fds grew from " + start.fds() + " to " + end.fds() + " (tolerance +" + fds + "): a leak");
        }
        if (end.threads() - start.threads() > threads) {
            grown.add("threads grew from " + start.threads() + " to " + end.threads() + " (tolerance +" + threads
                    + "): a leak");
        }
        if (end.residentBytes() - start.residentBytes() > residentBytes) {
            grown.add(String.format("resident memory grew from %.1f to %.1f MiB (tolerance +%.0f MiB): a leak",
                    start.residentBytes() / MIB, end.residentBytes() / MIB, residentBytes / MIB));
        }
        return grown;
    }
}
