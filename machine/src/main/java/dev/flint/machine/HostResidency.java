package dev.flint.machine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * How much of some address ranges of this process is resident in host RAM, from
 * {@code /proc/self/smaps}: for guest memory, the pages the guest has touched.
 */
final class HostResidency {
    record Range(long start, long size) {
        boolean overlaps(long from, long to) {
            return from < start + size && to > start;
        }
    }

    private HostResidency() {
    }

    static long residentBytes(List<Range> ranges) {
        try {
            return residentBytes(Files.readAllLines(Path.of("/proc/self/smaps")), ranges);
        } catch (IOException e) {
            return -1;   // no procfs: unknown, not zero
        }
    }

    /** Sums the {@code Rss:} of every mapping that overlaps one of {@code ranges}. */
    static long residentBytes(List<String> smaps, List<Range> ranges) {
        long total = 0;
        boolean counting = false;
        for (String line : smaps) {
            int dash = line.indexOf('-');
            int space = line.indexOf(' ');
            if (dash > 0 && space > dash && isHex(line, dash)) {
                long from = Long.parseUnsignedLong(line.substring(0, dash), 16);
                long to = Long.parseUnsignedLong(line.substring(dash + 1, space), 16);
                counting = ranges.stream().anyMatch(range -> range.overlaps(from, to));
            } else if (counting && line.startsWith("Rss:")) {
                total += Long.parseLong(line.substring(4).replace("kB", "").strip()) * 1024;
            }
        }
        return total;
    }

    private static boolean isHex(String line, int end) {
        for (int i = 0; i < end; i++) {
            if (Character.digit(line.charAt(i), 16) < 0) {
                return false;
            }
        }
        return true;
    }
}
