package dev.flint.machine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** This host's physical memory, from /proc/meminfo: the bound on a machine's memoryMb. */
final class HostMemory {
    private HostMemory() {
    }

    /** MemTotal in MiB; 0 when /proc/meminfo cannot be read (then nothing is checked against it). */
    static long totalMb() {
        try {
            return totalMb(Files.readAllLines(Path.of("/proc/meminfo")));
        } catch (IOException e) {
            return 0;
        }
    }

    /** From /proc/meminfo's lines: "MemTotal:       24683548 kB". */
    static long totalMb(List<String> meminfo) {
        for (String line : meminfo) {
            if (line.startsWith("MemTotal:")) {
                String[] fields = line.substring("MemTotal:".length()).trim().split("\\s+");
                try {
                    return Long.parseLong(fields[0]) / 1024;
                } catch (NumberFormatException e) {
                    return 0;
                }
            }
        }
        return 0;
    }
}
