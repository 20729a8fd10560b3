package dev.flint.benchmarks.rig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The host memory a VMM process holds beyond its guest's resident pages, for both sides the same
 * way: the process's resident set counted page by page ({@code Rss:} of {@code smaps_rollup}),
 * less the guest RAM's own resident pages. Flint's come from {@code Machine.metrics()} (pagemap,
 * page by page); QEMU's from the {@code Rss:} of its guest RAM mapping in {@code smaps}, which
 * counts the same pages (present, not the zero page) because QEMU maps its RAM alone with a guard
 * page after it: the one anonymous read-write mapping exactly the RAM's size.
 */
final class VmmMemory {
    private VmmMemory() {
    }

    /** A process's resident set in KiB, counted page by page. */
    static long residentKib(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "smaps_rollup"))) {
            if (line.startsWith("Rss:")) {
                return kib(line);
            }
        }
        throw new IOException("/proc/" + pid + "/smaps_rollup has no Rss: line");
    }

    /** A VMM's resident set and its guest's own resident pages in it, in KiB. */
    record Split(long processKib, long guestKib) {
        /** Whether the guest's pages fit in the process's, as they must when both are counted right. */
        boolean fits() {
            return guestKib >= 0 && guestKib <= processKib;
        }

        long vmmKib() {
            return processKib - guestKib;
        }
    }

    /** QEMU's resident set and its guest RAM's resident pages. */
    static Split ofQemu(long pid, long ramBytes) throws IOException {
        long guest = guestRamRssKib(Files.readAllLines(Path.of("/proc", String.valueOf(pid), "smaps")), ramBytes);
        return new Split(residentKib(pid), guest);   // the process after the guest: it holds every page counted there
    }

    /**
     * The {@code Rss:} of the one anonymous read-write mapping of exactly {@code ramBytes} in
     * {@code smaps}: QEMU's guest RAM. None or several such mappings: the RAM is not told apart,
     * and no figure is given rather than a wrong one.
     */
    static long guestRamRssKib(List<String> smaps, long ramBytes) throws IOException {
        List<Long> candidates = new ArrayList<>();
        boolean inRam = false;
        for (String line : smaps) {
            String[] fields = line.split("\\s+");
            if (fields.length >= 5 && fields[0].matches("[0-9a-f]+-[0-9a-f]+")) {
                String[] bounds = fields[0].split("-");
                long size = Long.parseUnsignedLong(bounds[1], 16) - Long.parseUnsignedLong(bounds[0], 16);
                boolean anonymous = fields.length == 5 && fields[4].equals("0");
                inRam = size == ramBytes && anonymous && fields[1].startsWith("rw");
            } else if (inRam && line.startsWith("Rss:")) {
                candidates.add(kib(line));
                inRam = false;
            }
        }
        if (candidates.size() != 1) {
            throw new IOException("QEMU has " + candidates.size() + " anonymous read-write mappings of "
                    + (ramBytes >> 20) + " MiB, not one: its guest RAM cannot be told apart");
        }
        return candidates.getFirst();
    }

    private static long kib(String line) {
        return Long.parseLong(line.substring(line.indexOf(':') + 1).replace("kB", "").strip());
    }
}
