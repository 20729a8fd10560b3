package dev.flint.benchmarks.rig;

import dev.flint.kernel.GuestImages;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
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

    /** A fresh JVM restoring the VMM snapshot: process start to the agent's HELLO. */
    private void freshProcess(boolean record) throws Exception {
        try (WatchedProcess child = WatchedProcess.start(snapshotProcess("restore"))) {
            WatchedProcess.Line restored = child.await(line -> line.startsWith(FlintSnapshotProcess.RESTORED + " "),
                    "Flint's '" + FlintSnapshotProcess.RESTORED + "' line (VirtualMachine.restore)", TIMEOUT);
            Map<String, Long> phases = KeyValueLine.parse(FlintSnapshotProcess.RESTORED, restored.text());
            if (record) {
                add.accept("flint.restore.fresh_process", restored.nanosSinceStart() / 1e6);
                add.accept("flint.restore.fresh_in_vmm", phases.get("restore_to_ready_ns") / 1e6);
            }
            child.waitFor(Duration.ofSeconds(30));
        }
    }

    private List<String> snapshotProcess(String mode) {
        return RigBench.childJvm(options, FlintSnapshotProcess.class, List.of(mode, directory.resolve("vm").toString(),
                images.vmlinux().toString(), images.initramfs().toString(), String.valueOf(RigBench.MEMORY_MB),
                RigBench.CMDLINE));
    }

    // ---------------------------------------------------------------------------------------------
    // COORDINATOR: the Machine-level figures. Machine.snapshot, MachineConfig.fromSnapshot,
    // Machine.fork and warm pools are not on main yet; once they are, replace the two methods below
    // with the steps in their comments. The metric names are the ones RigMetrics describes and
    // pairs with QEMU's restore (flint.restore.warm, flint.restore.first_exec, flint.fork,
    // flint.pool_checkout); ms from System.nanoTime().
    // ---------------------------------------------------------------------------------------------

    /** Once: the template machine's snapshot (and the warm pool) that each round restores from. */
    private void prepareMachines() {
        // MachineConfig base = MachineConfig.builder().name("bench-template").memoryMb(RigBench.MEMORY_MB).cpus(1)
        //         .kernel(images.vmlinux()).initrd(images.initramfs()).network(NetworkPolicy.none()).build();
        // try (Machine template = Machine.create(base)) { template.snapshot("bench"); }
        // pool = a WarmPool of 1 restored machine of template "bench" (refilled in the background).
        throw new UnsupportedOperationException("--restore: Flint's Machine snapshot API is not in this build;"
                + " complete FlintRestore.prepareMachines/machineRound (see the COORDINATOR comment)");
    }

    /** Per round: warm-JVM restore to agent-ready, first exec, fork of one clone, pool checkout. */
    private void machineRound(boolean record) {
        // long t = System.nanoTime();
        // try (Machine m = Machine.create(MachineConfig.builder()...same as base....fromSnapshot("bench").build())) {
        //     double restore = ms(t);                      // Machine.create returns at the agent's HELLO
        //     t = System.nanoTime();
        //     require(m.exec(RigBench.TRUE).exitCode() == 0);
        //     double firstExec = ms(t);
        //     t = System.nanoTime();
        //     List<Machine> clones = m.fork(1);            // returns with the clone at agent-ready
        //     double fork = ms(t);
        //     clones.forEach(Machine::close);
        //     if (record) { add "flint.restore.warm" restore, "flint.restore.first_exec" firstExec, "flint.fork" fork }
        // }
        // t = System.nanoTime();
        // try (Machine p = Machine.create(base-with .template("bench").warmPool(pool, REQUIRE, Duration.ofMinutes(1)))) {
        //     double checkout = ms(t);
        //     require(p.info().warmPoolCheckout());       // a checkout, not a cold boot
        //     if (record) add "flint.pool_checkout" checkout
        // }
        // (the pool refills before the next round: wait for it outside the timing)
        throw new UnsupportedOperationException("--restore: Flint's Machine snapshot API is not in this build;"
                + " complete FlintRestore.machineRound (see the COORDINATOR comment)");
    }
}
