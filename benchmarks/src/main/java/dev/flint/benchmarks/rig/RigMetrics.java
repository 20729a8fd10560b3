package dev.flint.benchmarks.rig;

import java.util.List;
import java.util.Map;

/** What each rig metric measures, its unit, and which Flint/peer pairs are reported as ratios. */
final class RigMetrics {
    /** A ratio to report: Flint's metric over the peer's, both with one sample per round. */
    record RatioSpec(String name, String flint, String peer, String description) {
    }

    static final List<RatioSpec> RATIOS = List.of(
            new RatioSpec("boot.cold_process", "flint.cold.process_to_ready", "qemu.process_to_ready",
                    "process start to the agent's ready line: a fresh JVM running Flint vs a fresh QEMU"),
            new RatioSpec("boot.warm_machine_create", "flint.warm.create_to_ready", "qemu.process_to_ready",
                    "Machine.create to the agent's HELLO in a warm JVM vs QEMU process start to ready"),
            new RatioSpec("exec.true", "flint.exec_true.round_median", "qemu.exec_true.round_median",
                    "exec([\"true\"]) round trip, per-round medians, same agent client over each VMM's vsock"),
            new RatioSpec("exec.1mib", "flint.exec_1mib.round_median", "qemu.exec_1mib.round_median",
                    "exec of a command printing 1 MiB, per-round medians"),
            new RatioSpec("memory.process_rss", "flint.cold.process_rss", "qemu.process_rss",
                    "resident memory of the VMM process at ready (Flint's includes its JVM)"));

    private static final Map<String, String> DESCRIPTIONS = Map.ofEntries(
            Map.entry("flint.cold.process_to_ready", "fresh JVM process start to the guest's 'flint-agent: ready' line"),
            Map.entry("flint.cold.jvm_start", "JVM start, class loading and device set-up before VirtualMachine.start"),
            Map.entry("flint.cold.host_setup", "VirtualMachine.start to the first KVM_RUN (VMM setup)"),
            Map.entry("flint.cold.kernel_to_init", "first KVM_RUN to the agent's boot marker (kernel boot to init)"),
            Map.entry("flint.cold.init_to_ready", "boot marker to the 'flint-agent: ready' line (init to agent-ready)"),
            Map.entry("flint.cold.start_to_ready", "VirtualMachine.start to the 'flint-agent: ready' line"),
            Map.entry("flint.cold.process_rss", "VmRSS of the Flint JVM at ready (JVM + guest pages touched)"),
            Map.entry("flint.warm.create_to_ready", "Machine.create to its return (agent HELLO) in a warm JVM"),
            Map.entry("flint.exec_true", "Machine.exec([\"true\"]) round trip"),
            Map.entry("flint.exec_true.round_median", "median exec([\"true\"]) round trip of each round"),
            Map.entry("flint.exec_1mib", "Machine.exec of 'head -c 1048576 /dev/zero' (1 MiB of stdout)"),
            Map.entry("flint.exec_1mib.round_median", "median 1 MiB exec of each round"),
            Map.entry("qemu.process_to_ready", "QEMU microvm process start to the guest's 'flint-agent: ready' line"),
            Map.entry("qemu.process_rss", "VmRSS of QEMU at ready (QEMU + guest pages touched)"),
            Map.entry("qemu.exec_true", "exec([\"true\"]) round trip over QEMU's vhost-vsock, same AgentClient"),
            Map.entry("qemu.exec_true.round_median", "median exec([\"true\"]) round trip of each round"),
            Map.entry("qemu.exec_1mib", "exec of 'head -c 1048576 /dev/zero' over QEMU's vhost-vsock"),
            Map.entry("qemu.exec_1mib.round_median", "median 1 MiB exec of each round"));

    private RigMetrics() {
    }

    static String unit(String metric) {
        if (metric.endsWith("_rss")) {
            return "MiB";
        }
        return metric.contains("exec_true") ? "us" : "ms";
    }

    static String describe(String metric) {
        return DESCRIPTIONS.getOrDefault(metric, metric);
    }
}
