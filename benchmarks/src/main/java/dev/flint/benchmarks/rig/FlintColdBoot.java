package dev.flint.benchmarks.rig;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.nio.file.Path;
import java.util.Map;

/**
 * The Flint side of a cold boot, run by {@link RigBench} as a fresh JVM each time: {@link FlintBoot}
 * with the console copied to stdout, then the phases and this process's resident memory at ready
 * as one {@link KeyValueLine}, then exit.
 *
 * <p>Usage: {@code FlintColdBoot KERNEL INITRD MEMORY_MB CMDLINE}
 */
public final class FlintColdBoot {
    static final String PHASES = "rig-bench-phases";

    private FlintColdBoot() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: FlintColdBoot KERNEL INITRD MEMORY_MB CMDLINE");
            System.exit(2);
        }
        FlintBoot.toReady(Path.of(args[0]), Path.of(args[1]), Long.parseLong(args[2]), args[3],
                new FileOutputStream(FileDescriptor.out), phases -> {
                    Map<String, Long> line = new java.util.LinkedHashMap<>(phases);
                    line.put("rss_kib", WatchedProcess.residentKib(Path.of("/proc/self/status")));
                    System.out.println(KeyValueLine.format(PHASES, line));
                    System.out.flush();
                });
        System.exit(0);
    }
}
