package dev.flint.benchmarks.rig;

import dev.flint.kernel.GuestImages;
import dev.flint.machine.ConnectOptions;
import dev.flint.machine.Machine;
import dev.flint.machine.MachineConfig;
import dev.flint.machine.NetworkPolicy;
import dev.flint.machine.Template;
import dev.flint.machine.TemplateSpec;
import dev.flint.machine.WarmPool;
import dev.flint.machine.WarmPoolCheckout;
import dev.flint.machine.WarmPoolMode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;

/**
 * Flint's side of the restore figures (issue 13), measured with {@code --restore}: restore from a
 * snapshot to agent-ready in a fresh JVM process (the VMM's {@link dev.flint.vmm.VirtualMachine#restore},
 * through {@link FlintSnapshotProcess}) and in this warm JVM through the Machine API, the first
 * exec after it, a fork of one clone and a warm-pool checkout. Compared with {@link QemuRestore}
 * through {@link RigMetrics#RATIOS}.
 */
final class FlintRestore {
    private static final Duration TIMEOUT = Duration.ofMinutes(3);

    private final RigBenchOptions options;
    private final GuestImages.Images images;
    private final BiConsumer<String, Double> add;
    private final Path directory;
    private int freshProcessRetries;

    /** @param add records one sample of a metric, in the metric's unit */
    FlintRestore(RigBenchOptions options, GuestImages.Images images, Path directory, BiConsumer<String, Double> add) {
        this.options = options;
        this.images = images;
        this.directory = directory;
        this.add = add;
    }

    /** Once before the rounds: the snapshots every round restores, taken untimed. */
    void prepare() throws Exception {
        Files.createDirectories(directory.resolve("vm"));
        try (WatchedProcess child = WatchedProcess.start(snapshotProcess("save"))) {
            child.await(line -> line.equals(FlintSnapshotProcess.SAVED), "Flint's '" + FlintSnapshotProcess.SAVED
                    + "' line (VirtualMachine.snapshot)", TIMEOUT);
            child.waitFor(Duration.ofSeconds(30));
        }
        prepareMachines();
    }

    /** One round: every Flint restore figure, recorded unless this is the warm-up. */
    void round(boolean record) throws Exception {
        freshProcess(record);
        machineRound(record);
    }

    /**
     * A fresh JVM restoring the VMM snapshot: process start to the agent's HELLO. A child that
     * hangs after its JVM started is reported with its thread dump and tried once more (counted in
     * {@link #freshProcessRetries}), so one hang does not lose the run's other figures.
     */
    private void freshProcess(boolean record) throws Exception {
        for (int attempt = 1; ; attempt++) {
            try (WatchedProcess child = WatchedProcess.start(snapshotProcess("restore"))) {
                child.await(line -> line.equals(FlintSnapshotProcess.STARTED), "the restore child's JVM start", TIMEOUT);
                WatchedProcess.Line restored;
                try {
                    restored = child.await(line -> line.startsWith(FlintSnapshotProcess.RESTORED + " "),
                            "Flint's '" + FlintSnapshotProcess.RESTORED + "' line (VirtualMachine.restore)", TIMEOUT);
                } catch (IllegalStateException hung) {
                    System.err.println("rig-bench: a fresh-JVM restore hung (attempt " + attempt + "): " + hung.getMessage()
                            .lines().findFirst().orElse("") + "; its thread dump:\n" + child.threadDump());
                    if (attempt == 2) {
                        throw hung;
                    }
                    freshProcessRetries++;
                    continue;
                }
                Map<String, Long> phases = KeyValueLine.parse(FlintSnapshotProcess.RESTORED, restored.text());
                if (record) {
                    add.accept("flint.restore.fresh_process", restored.nanosSinceStart() / 1e6);
                    add.accept("flint.restore.fresh_in_vmm", phases.get("restore_to_ready_ns") / 1e6);
                }
                child.waitFor(Duration.ofSeconds(30));
                return;
            }
        }
    }

    /** Fresh-JVM restores that hung and were tried again (each printed its thread dump). */
    int freshProcessRetries() {
        return freshProcessRetries;
    }

    private List<String> snapshotProcess(String mode) {
        return RigBench.childJvm(options, FlintSnapshotProcess.class, List.of(mode, directory.resolve("vm").toString(),
                images.vmlinux().toString(), images.initramfs().toString(), String.valueOf(RigBench.MEMORY_MB),
                RigBench.CMDLINE));
    }

    // The Machine-level figures, in this warm JVM: ms from System.nanoTime().

    private static final String SNAPSHOT = "rig-bench";
    private static final String TEMPLATE = "rig-bench";
    private static final String POOL = "rig-bench";
    private static final Duration POOL_WAIT = Duration.ofMinutes(5);   // a restore on the rig's one emulated CPU, beside a loaded host

    private static MachineConfig.Builder base(String name) {
        return MachineConfig.builder().name(name).memoryMb(RigBench.MEMORY_MB).cpus(1).network(NetworkPolicy.none());
    }

    /** Once: the snapshot each round restores from, and a template with a warm pool of one. */
    private void prepareMachines() {
        try (Machine template = Machine.create(base("bench-source").build())) {
            template.snapshot(SNAPSHOT);
        }
        Template.build(TEMPLATE, TemplateSpec.builder().memoryMb(RigBench.MEMORY_MB).cpus(1).build());
        WarmPool.create(POOL, TEMPLATE, 1);
        awaitPoolReady();
    }

    /** Per round: warm-JVM restore to agent-ready, first exec, fork of one clone, pool checkout. */
    private void machineRound(boolean record) {
        long start = System.nanoTime();
        try (Machine restored = Machine.create(base("bench-restored").fromSnapshot(SNAPSHOT).build())) {
            double restore = msSince(start);                 // create returns once the agent answered
            start = System.nanoTime();
            require(restored.exec(RigBench.TRUE).exitCode() == 0, "exec true in the restored machine");
            double firstExec = msSince(start);
            start = System.nanoTime();
            List<Machine> clones = restored.fork(1);         // returns with the clone at agent-ready
            double fork = msSince(start);
            clones.forEach(Machine::close);
            if (record) {
                add.accept("flint.restore.warm", restore);
                add.accept("flint.restore.first_exec", firstExec);
                add.accept("flint.restore.warm_to_first_exec", restore + firstExec);
                add.accept("flint.fork", fork);
            }
        }
        start = System.nanoTime();
        try (Machine warm = Machine.create(base("bench-warm").template(TEMPLATE)
                .warmPool(POOL, WarmPoolMode.REQUIRE, POOL_WAIT).build())) {
            double checkout = msSince(start);
            require(warm.info().warmPoolCheckout().equals(Optional.of(WarmPoolCheckout.WARM)),
                    "a warm pool checkout, not a cold create");
            if (record) {
                add.accept("flint.pool_checkout", checkout);
            }
        }
        awaitPoolReady();   // the refill (a restore) runs in the background: not beside any other figure
    }

    private static void awaitPoolReady() {
        long deadline = System.nanoTime() + POOL_WAIT.toNanos();
        while (WarmPool.list(ConnectOptions.local()).stream().noneMatch(p -> p.name().equals(POOL) && p.ready() > 0)) {
            require(System.nanoTime() < deadline, "the warm pool refilled within " + POOL_WAIT.toSeconds() + " s");
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while the warm pool refilled", e);
            }
        }
    }

    private static double msSince(long start) {
        return (System.nanoTime() - start) / 1e6;
    }

    private static void require(boolean condition, String what) {
        if (!condition) {
            throw new IllegalStateException("rig bench: " + what + " failed");
        }
    }
}
