package dev.flint.benchmarks.rig;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The options of {@link RigBench}, as {@code rig-bench.sh} passes them.
 *
 * @param peerRestore  time QEMU's restore from its migration file (needs the peer's vsock exec)
 * @param flintRestore time Flint's restore, fork and warm-pool checkout ({@link FlintRestore}); off
 *                     by default until Flint's snapshot restore is in
 * @param devices      time disk and NAT throughput under both VMMs ({@link DeviceThroughput})
 */
record RigBenchOptions(int rounds, int execRounds, int bigExecRounds, Path qemu, String modulePath, String classes,
                       boolean peerExec, boolean peerRestore, boolean flintRestore, boolean devices,
                       Map<String, String> conditions) {
    static final String USAGE = """
            usage: RigBench --qemu PATH --module-path PATH --classes PATH [--rounds N] [--exec N] [--exec-1mib N]
                            [--no-peer-exec] [--no-peer-restore] [--restore] [--no-devices] [--condition KEY=VALUE]...
            """;

    static RigBenchOptions parse(List<String> args) {
        int rounds = 5;
        int exec = 50;
        int big = 5;
        Path qemu = null;
        String modulePath = null;
        String classes = null;
        boolean peerExec = true;
        boolean peerRestore = true;
        boolean flintRestore = false;
        boolean devices = true;
        Map<String, String> conditions = new LinkedHashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String option = args.get(i);
            boolean flag = true;
            switch (option) {   // the options without a value
                case "--no-peer-exec" -> peerExec = false;
                case "--no-peer-restore" -> peerRestore = false;
                case "--restore" -> flintRestore = true;
                case "--no-devices" -> devices = false;
                default -> flag = false;
            }
            if (flag) {
                continue;
            }
            if (i + 1 >= args.size()) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            String value = args.get(++i);
            switch (option) {
                case "--rounds" -> rounds = positive(option, value);
                case "--exec" -> exec = positive(option, value);
                case "--exec-1mib" -> big = positive(option, value);
                case "--qemu" -> qemu = Path.of(value);
                case "--module-path" -> modulePath = value;
                case "--classes" -> classes = value;
                case "--condition" -> {
                    int equals = value.indexOf('=');
                    if (equals <= 0) {
                        throw new IllegalArgumentException("--condition wants KEY=VALUE, got " + value);
                    }
                    conditions.put(value.substring(0, equals), value.substring(equals + 1));
                }
                default -> throw new IllegalArgumentException("unknown option " + option);
            }
        }
        if (qemu == null || modulePath == null || classes == null) {
            throw new IllegalArgumentException("--qemu, --module-path and --classes are required");
        }
        return new RigBenchOptions(rounds, exec, big, qemu, modulePath, classes, peerExec, peerRestore, flintRestore, devices,
                conditions);
    }

    private static int positive(String option, String value) {
        try {
            int n = Integer.parseInt(value);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // Reported below.
        }
        throw new IllegalArgumentException(option + " wants a positive integer, got " + value);
    }
}
