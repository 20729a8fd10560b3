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
            new RatioSpec("boot.cold_process_launcher", "flint.cold_launcher.process_to_ready", "qemu.process_to_ready",
                    "the same, Flint's JVM started as ./flint starts flint run (C1 only, Serial GC, its AOT cache"
                            + " trained by one boot in this rig session) vs a fresh QEMU"),
            new RatioSpec("guest.kernel_launcher", "flint.cold_launcher.guest_kernel", "qemu.guest_kernel",
                    "the guest kernel's boot by its own clock, under the launcher-started JVM"),
            new RatioSpec("boot.warm_machine_create", "flint.warm.create_to_ready", "qemu.process_to_hello",
                    "Machine.create to the agent's HELLO in a warm JVM vs QEMU process start to the agent's HELLO"
                            + " over vhost-vsock, connected at its ready line"),
            new RatioSpec("guest.kernel", "flint.cold.guest_kernel", "qemu.guest_kernel",
                    "the guest kernel's boot up to running the agent, by the guest's own clock (same kernel and"
                            + " command line)"),
            new RatioSpec("guest.init", "flint.cold.guest_init", "qemu.guest_init",
                    "the agent's start to its ready line, by the guest's own clock (mounts, devices, listen)"),
            new RatioSpec("exec.true", "flint.exec_true.round_median", "qemu.exec_true.round_median",
                    "exec([\"true\"]) round trip, per-round medians, same agent client over each VMM's vsock"),
            new RatioSpec("exec.1mib", "flint.exec_1mib.round_median", "qemu.exec_1mib.round_median",
                    "exec of a command printing 1 MiB, per-round medians"),
            new RatioSpec("blk.read", "flint.blk.read", "qemu.blk.read",
                    "sequential read of the whole 64 MiB raw disk (dd bs=1M, cold guest cache) in MiB/s, Flint's"
                            + " virtio-blk vs QEMU's virtio-blk-device on the same file: higher is better"),
            new RatioSpec("blk.write", "flint.blk.write", "qemu.blk.write",
                    "sequential write of the whole disk (dd bs=1M conv=fsync) in MiB/s: higher is better"),
            new RatioSpec("blk.read_again", "flint.blk.read_again", "qemu.blk.read_again",
                    "the same read once more, the guest's cache dropped: Flint's device path compiled by then"),
            new RatioSpec("blk.write_again", "flint.blk.write_again", "qemu.blk.write_again",
                    "the same write once more: higher is better"),
            new RatioSpec("net.fwd_download", "flint.net.fwd_download", "qemu.net.fwd_download",
                    "16 MiB from the guest's httpd to the host through a forwarded port, in MiB/s, both on libslirp"
                            + " (Flint's virtio-net vs QEMU's -netdev user): higher is better"),
            new RatioSpec("net.fwd_upload", "flint.net.fwd_upload", "qemu.net.fwd_upload",
                    "16 MiB from the host to the guest's nc through a forwarded port, in MiB/s: higher is better"),
            new RatioSpec("memory.process_rss", "flint.cold.process_rss", "qemu.process_rss",
                    "resident memory of the VMM process at ready (Flint's includes its JVM)"),
            new RatioSpec("memory.vmm_per_machine", "flint.warm.vmm_rss", "qemu.vmm_rss",
                    "host memory the VMM adds for an idle machine beyond its guest's own resident pages: Flint's"
                            + " resident-set growth per Machine.create in a warm JVM, QEMU's whole resident set"),
            new RatioSpec("restore.warm", "flint.restore.warm", "qemu.restore.to_ready",
                    "restore from a snapshot to the agent's HELLO: Machine.create fromSnapshot in a warm JVM vs a"
                            + " fresh QEMU -incoming from its migration file"),
            new RatioSpec("restore.warm_vs_peer_boot", "flint.restore.warm", "qemu.process_to_hello",
                    "Flint's warm-JVM restore to the agent's HELLO vs QEMU microvm's cold boot to the same"),
            new RatioSpec("restore.warm_to_exec", "flint.restore.warm_to_first_exec", "qemu.restore.to_first_exec",
                    "restore to the first exec([\"true\"]) done (exec-ready): warm-JVM Machine.create fromSnapshot vs a"
                            + " fresh QEMU -incoming"),
            new RatioSpec("restore.warm_to_exec_vs_peer_boot", "flint.restore.warm_to_first_exec", "qemu.process_to_hello",
                    "Flint's warm-JVM restore to its first exec done vs QEMU microvm's cold boot to the agent's HELLO"),
            new RatioSpec("restore.fresh_process", "flint.restore.fresh_process", "qemu.restore.to_ready",
                    "process start to agent-ready restoring a snapshot: a fresh JVM (VirtualMachine.restore) vs"
                            + " a fresh QEMU -incoming"),
            new RatioSpec("restore.first_exec", "flint.restore.first_exec", "qemu.restore.first_exec",
                    "the first exec([\"true\"]) after the restore, same agent protocol"),
            new RatioSpec("fork.one_clone", "flint.fork", "qemu.restore.to_ready",
                    "Machine.fork(1) to the clone's agent-ready vs QEMU's restore of a copy from its file"));

    private static final Map<String, String> DESCRIPTIONS = Map.ofEntries(
            Map.entry("flint.cold.process_to_ready", "fresh JVM process start to the guest's 'flint-agent: ready' line"),
            Map.entry("flint.cold.jvm_start", "JVM start, class loading and device set-up before VirtualMachine.start"),
            Map.entry("flint.cold.host_setup", "VirtualMachine.start to the first KVM_RUN (VMM setup)"),
            Map.entry("flint.cold.kernel_to_init", "first KVM_RUN to the agent's boot marker (kernel boot to init)"),
            Map.entry("flint.cold.init_to_ready", "boot marker to the 'flint-agent: ready' line (init to agent-ready)"),
            Map.entry("flint.cold.init_to_agent_listening", "boot marker to the agent's listening signal (no console in between)"),
            Map.entry("flint.cold.start_to_ready", "VirtualMachine.start to the 'flint-agent: ready' line"),
            Map.entry("flint.cold.process_rss", "VmRSS of the Flint JVM at ready (JVM + guest pages touched)"),
            Map.entry("flint.warm.create_to_ready", "Machine.create to its return (agent HELLO) in a warm JVM"),
            Map.entry("flint.warm.vmm_rss", "growth of the warm JVM's resident set (smaps_rollup) over one"
                    + " Machine.create to ready, less the machine's own resident guest pages"),
            Map.entry("flint.exec_true", "Machine.exec([\"true\"]) round trip"),
            Map.entry("flint.exec_true.round_median", "median exec([\"true\"]) round trip of each round"),
            Map.entry("flint.exec_1mib", "Machine.exec of 'head -c 1048576 /dev/zero' (1 MiB of stdout)"),
            Map.entry("flint.exec_1mib.round_median", "median 1 MiB exec of each round"),
            Map.entry("flint.cold.guest_kernel", "guest CLOCK_BOOTTIME when the agent started, from its ready line"),
            Map.entry("flint.cold.guest_init", "the agent's start to its ready line, by the guest's clock"),
            Map.entry("qemu.guest_kernel", "guest CLOCK_BOOTTIME when the agent started, under QEMU microvm"),
            Map.entry("qemu.guest_init", "the agent's start to its ready line under QEMU microvm, by the guest's clock"),
            Map.entry("qemu.process_to_ready", "QEMU microvm process start to the guest's 'flint-agent: ready' line"),
            Map.entry("qemu.process_to_hello", "QEMU microvm process start to the agent's HELLO over vhost-vsock,"
                    + " the connect made at the ready line (where Flint's Machine.create returns)"),
            Map.entry("qemu.process_rss", "VmRSS of QEMU at ready (QEMU + guest pages touched)"),
            Map.entry("qemu.vmm_rss", "QEMU's resident set (smaps_rollup) at ready less its guest RAM mapping's"
                    + " resident pages"),
            Map.entry("qemu.exec_true", "exec([\"true\"]) round trip over QEMU's vhost-vsock, same AgentClient"),
            Map.entry("qemu.exec_true.round_median", "median exec([\"true\"]) round trip of each round"),
            Map.entry("qemu.exec_1mib", "exec of 'head -c 1048576 /dev/zero' over QEMU's vhost-vsock"),
            Map.entry("qemu.exec_1mib.round_median", "median 1 MiB exec of each round"),
            Map.entry("qemu.restore.load", "QEMU -incoming 'exec:cat FILE' process start to the stream loaded"
                    + " (QMP query-status paused)"),
            Map.entry("qemu.restore.to_ready", "QEMU -incoming process start, QMP cont, to the agent's HELLO over"
                    + " vhost-vsock (the restored agent is already running)"),
            Map.entry("qemu.restore.first_exec", "first exec([\"true\"]) round trip after QEMU's restore"),
            Map.entry("flint.restore.warm", "Machine.create fromSnapshot to its return (agent HELLO) in a warm JVM"),
            Map.entry("flint.restore.warm_to_first_exec", "Machine.create fromSnapshot to the end of its first"
                    + " exec([\"true\"]), warm JVM (the two above added)"),
            Map.entry("qemu.restore.to_first_exec", "QEMU -incoming process start to the end of its first exec([\"true\"])"
                    + " (to_ready + first_exec)"),
            Map.entry("flint.restore.first_exec", "first Machine.exec([\"true\"]) after the warm-JVM restore"),
            Map.entry("flint.restore.fresh_process", "fresh JVM process start to the agent's HELLO after"
                    + " VirtualMachine.restore"),
            Map.entry("flint.restore.fresh_in_vmm", "VirtualMachine.restore to the agent's HELLO, inside that fresh JVM"),
            Map.entry("flint.fork", "Machine.fork(1) to its return with the clone at agent-ready"),
            Map.entry("flint.blk.read", "dd if=/dev/vda of=/dev/null bs=1M count=64 in a fresh guest, host-timed exec"),
            Map.entry("flint.blk.write", "dd if=/dev/zero of=/dev/vda bs=1M count=64 conv=fsync, host-timed exec"),
            Map.entry("flint.net.fwd_download", "host GET of 16 MiB from the guest's busybox httpd through Flint's port forward"),
            Map.entry("flint.net.fwd_upload", "host upload of 16 MiB to the guest's nc through Flint's port forward"),
            Map.entry("qemu.blk.read", "the same dd read on QEMU's virtio-blk-device"),
            Map.entry("qemu.blk.write", "the same dd write on QEMU's virtio-blk-device"),
            Map.entry("flint.blk.read_again", "the dd read again after the writes and a drop of the guest's page cache"),
            Map.entry("flint.blk.write_again", "the dd write again, after that read"),
            Map.entry("qemu.blk.read_again", "the same second read on QEMU's virtio-blk-device"),
            Map.entry("qemu.blk.write_again", "the same second write on QEMU's virtio-blk-device"),
            Map.entry("qemu.net.fwd_download", "the same download through QEMU's -netdev user hostfwd"),
            Map.entry("qemu.net.fwd_upload", "the same upload through QEMU's -netdev user hostfwd"),
            Map.entry("flint.pool_checkout", "Machine.create from a warm pool of restored machines to its return"));

    private RigMetrics() {
    }

    static String unit(String metric) {
        if (metric.endsWith("_rss")) {
            return "MiB";
        }
        if (metric.contains(".blk.") || metric.contains(".net.")) {
            return "MiB/s";
        }
        return metric.contains("exec_true") ? "us" : "ms";
    }

    /** The launcher-started fresh JVM's metrics: the plain fresh JVM's, started as {@code ./flint} starts it. */
    private static final String LAUNCHER = "flint.cold_launcher.";

    static String describe(String metric) {
        int step = metric.indexOf(".host_setup.");
        if (step > 0) {
            return "host setup step '" + metric.substring(step + ".host_setup.".length()).replace('_', ' ')
                    + "' (the VMM's BootTimeline)" + (metric.startsWith(LAUNCHER) ? ", launcher-started JVM" : "");
        }
        if (metric.startsWith(LAUNCHER)) {
            return describe("flint.cold." + metric.substring(LAUNCHER.length()))
                    + "; JVM started with the launcher's one-shot options and AOT cache";
        }
        return DESCRIPTIONS.getOrDefault(metric, metric);
    }
}
