package dev.flint.benchmarks.rig;

import dev.flint.agent.AgentClient;
import dev.flint.agent.ExecRequest;
import dev.flint.agent.ProcessResult;
import dev.flint.kernel.GuestImages;
import dev.flint.machine.ExecResult;
import dev.flint.machine.Machine;
import dev.flint.machine.MachineConfig;
import dev.flint.machine.NetworkPolicy;
import dev.flint.machine.PortSpec;
import dev.flint.vmm.VirtualMachine;

import java.io.IOException;
import java.net.ConnectException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Supplier;

/**
 * The end-to-end benchmark, run inside the nested rig by {@code benchmarks/rig-bench.sh}: each
 * round boots Flint in a fresh JVM, QEMU microvm, and a {@link Machine} in this (warm) JVM, all
 * with the same kernel, initramfs, command line, memory and one vCPU, timing each to the agent's
 * ready line and the exec round trips through the same agent protocol; then QEMU restoring the
 * same guest from its migration file ({@link QemuRestore}) and, with {@code --restore}, Flint
 * restoring its snapshot ({@link FlintRestore}), to agent-ready. Prints the result JSON
 * between {@link #BEGIN} and {@link #END} lines on stdout, progress on stderr.
 */
public final class RigBench {
    static final String BEGIN = "=== rig-bench result begin ===";
    static final String END = "=== rig-bench result end ===";
    static final int MEMORY_MB = 256;
    static final int AGENT_PORT = Machine.AGENT_PORT;
    static final String CMDLINE = VirtualMachine.BASE_CMDLINE + " quiet rdinit=/bin/flint-agent flint.hostname=bench";
    static final List<String> TRUE = List.of("true");
    static final List<String> ONE_MIB = List.of("head", "-c", "1048576", "/dev/zero");
    private static final Duration BOOT_TIMEOUT = Duration.ofMinutes(3);

    private final RigBenchOptions options;
    private final GuestImages.Images images;
    private final Map<String, List<Double>> samples = new LinkedHashMap<>();
    private final Map<String, String> conditions = new LinkedHashMap<>();
    private String peerExec;
    private String peerRestore;
    private QemuRestore qemuRestore;
    private final List<Integer> peerRestoreAttempts = new ArrayList<>();
    private FlintRestore flintRestore;
    /** The raw disk both VMMs' throughput rows read and write; null without the peer's exec (they are timed through it). */
    private Path throughputDisk;
    /** The AOT cache of the launcher-started fresh JVM ({@link #trainLauncherCache}); null without one. */
    private Path launcherCache;
    private Exception failure;

    private RigBench(RigBenchOptions options, GuestImages.Images images) {
        this.options = options;
        this.images = images;
    }

    public static void main(String[] args) throws Exception {
        RigBenchOptions options;
        try {
            options = RigBenchOptions.parse(List.of(args));
        } catch (IllegalArgumentException e) {
            System.err.println("rig-bench: " + e.getMessage() + "\n" + RigBenchOptions.USAGE);
            System.exit(2);
            return;
        }
        RigBench bench = new RigBench(options, GuestImages.locate());
        RigResult result = bench.run();
        System.out.println(BEGIN);
        System.out.print(result.toJson());
        System.out.println(END);
        System.exit(bench.failure == null ? 0 : 1);
    }

    private RigResult run() throws Exception {
        peerExec = peerExecAvailability();
        progress("kernel " + images.vmlinux() + ", initramfs " + images.initramfs() + "; peer exec: " + peerExec);
        warmUp();
        trainLauncherCache();
        prepareRestores();
        if (options.devices() && peerExec.equals("on")) {
            throughputDisk = DeviceThroughput.disk(Files.createTempDirectory("rig-bench-devices"));
        }
        conditions.put("device_throughput", throughputDisk != null ? "on: " + DeviceThroughput.DISK_MB + " MiB disk, "
                + DeviceThroughput.NET_MB + " MiB per transfer" : !options.devices() ? "off (--no-devices)"
                : "unavailable: timed through the peer's exec, which is " + peerExec);
        try {
            for (int round = 1; round <= options.rounds(); round++) {
                progress("round " + round + " of " + options.rounds());
                coldFlintProcess("flint.cold", List.of());
                if (launcherCache != null) {
                    coldFlintProcess("flint.cold_launcher", LauncherJvm.startingFrom(launcherCache));
                }
                qemuMicrovm(true);
                warmFlintMachine(true);
                if (qemuRestore != null) {
                    qemuRestoreRound(true);
                }
                if (flintRestore != null) {
                    flintRestore.round(true);
                }
                if (throughputDisk != null) {
                    flintDevices();
                    qemuDevices();
                }
            }
        } catch (Exception e) {
            // The rounds so far are still printed, marked failed (exit 1), for the log to keep.
            failure = e;
            e.printStackTrace();
        }
        recordConditions();
        return new RigResult(conditions, metrics(), ratios());
    }

    /** The vsock exec against the peer needs /dev/vhost-vsock in the rig (rig-bench.sh loads the modules). */
    private String peerExecAvailability() {
        if (!options.peerExec()) {
            return "off (--no-peer-exec)";
        }
        if (!Files.exists(Path.of("/dev/vhost-vsock"))) {
            return "unavailable: no /dev/vhost-vsock (the vhost_vsock module did not load in the rig)";
        }
        return "on";
    }

    /** One untimed QEMU boot and Machine: JIT-compiles the agent client and vsock paths both sides use. */
    private void warmUp() throws Exception {
        progress("warm-up (not recorded)");
        try {
            qemuMicrovm(false);
        } catch (IOException | IllegalStateException e) {
            if (!peerExec.equals("on")) {
                throw e;
            }
            peerExec = "unavailable: " + e.getMessage().lines().findFirst().orElse("") ;
            progress("peer exec over vhost-vsock failed, measuring the peer's boot only: " + e.getMessage());
            qemuMicrovm(false);
        }
        warmFlintMachine(false);
    }

    /**
     * The peer's migration file and Flint's snapshots, saved once after the warm-up, each followed
     * by one untimed restore (JIT warm-up of the restore paths).
     */
    private void prepareRestores() throws Exception {
        peerRestore = !options.peerRestore() ? "off (--no-peer-restore)"
                : !peerExec.equals("on") ? "unavailable: it is timed over vsock, and peer exec is " + peerExec : "on";
        Path work = Files.createTempDirectory("rig-bench-restore");
        if (peerRestore.equals("on")) {
            qemuRestore = new QemuRestore(peer(), work);
            progress("QEMU: saving the booted guest's migration stream (not recorded)");
            long bytes = qemuRestore.save();
            conditions.put("peer_restore_state_bytes", String.valueOf(bytes));
            qemuRestoreRound(false);
        }
        if (options.flintRestore()) {
            flintRestore = new FlintRestore(options, images, work.resolve("flint"), this::add);
            progress("Flint: saving the snapshots (not recorded)");
            flintRestore.prepare();
            flintRestore.round(false);
        }
    }

    private void qemuRestoreRound(boolean record) throws Exception {
        QemuRestore.Timings t = qemuRestore.restore();
        if (record) {
            add("qemu.restore.load", millis(t.loadedNanos()));
            add("qemu.restore.to_ready", millis(t.readyNanos()));
            add("qemu.restore.first_exec", millis(t.firstExecNanos()));
            add("qemu.restore.to_first_exec", millis(t.readyNanos() + t.firstExecNanos()));
            peerRestoreAttempts.add(t.connectAttempts());
        }
    }

    /** A fresh JVM like this one, with Flint's modules, running {@code main} with {@code args}. */
    static List<String> childJvm(RigBenchOptions options, Class<?> main, List<String> args) {
        return childJvm(options, List.of(), main, args);
    }

    /** The same, with {@code jvmOptions} first (the launcher's, {@link LauncherJvm}). */
    static List<String> childJvm(RigBenchOptions options, List<String> jvmOptions, Class<?> main, List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(jvmOptions);
        command.addAll(List.of("--enable-native-access=ALL-UNNAMED,dev.flint.vmm", "-p", options.modulePath(),
                "--add-modules", "dev.flint.virtio,dev.flint.agent", "-cp", options.classes(), main.getName()));
        command.addAll(args);
        return command;
    }

    private QemuMicrovm peer() {
        return new QemuMicrovm(options.qemu(), images.vmlinux(), images.initramfs(), CMDLINE, MEMORY_MB, 1,
                peerExec.equals("on") ? OptionalLong.of(FlintBoot.GUEST_CID) : OptionalLong.empty());
    }

    private List<String> coldBootArguments() {
        return List.of(images.vmlinux().toString(), images.initramfs().toString(), String.valueOf(MEMORY_MB), CMDLINE);
    }

    /**
     * The launcher's AOT cache for {@link FlintColdBoot}, trained by one untimed boot with the
     * launcher's options in this rig session (the runtime that uses it, on a KVM that boots the
     * guest, as {@code ./flint} would train it there); none, and why in the conditions, when it fails.
     */
    private void trainLauncherCache() throws Exception {
        Path cache = Files.createTempDirectory("rig-bench-aot").resolve("cold-boot.aot");
        progress("training the launcher's AOT cache with one Flint boot (not recorded)");
        long start = System.nanoTime();
        try (WatchedProcess child = WatchedProcess.start(childJvm(options, LauncherJvm.training(cache),
                FlintColdBoot.class, coldBootArguments()))) {
            child.await(line -> line.startsWith(FlintColdBoot.PHASES + " "), "the training boot's phases line", BOOT_TIMEOUT);
            // The JVM writes the cache as it exits (JDK 25 assembles it in a child JVM): minutes in the rig.
            if (!child.waitFor(Duration.ofMinutes(5))) {
                throw new IOException("the training JVM did not write its cache and exit within 5 minutes");
            }
            if (!Files.isRegularFile(cache) || Files.size(cache) == 0) {
                throw new IOException("the training JVM wrote no cache; its output:\n" + child.recentOutput());
            }
            launcherCache = cache;
            conditions.put("launcher_aot_cache", "trained in this session by one FlintColdBoot (" + Files.size(cache)
                    + " bytes, " + Math.round(millis(System.nanoTime() - start)) + " ms with its boot)");
        } catch (IOException e) {
            conditions.put("launcher_aot_cache", "unavailable: " + e.getMessage().lines().findFirst().orElse(""));
            progress("no launcher AOT cache, so no flint.cold_launcher rows: " + e.getMessage());
        }
    }

    /** Flint's boot in a fresh JVM started with {@code jvmOptions}, its phases under {@code prefix}. */
    private void coldFlintProcess(String prefix, List<String> jvmOptions) throws Exception {
        try (WatchedProcess child = WatchedProcess.start(childJvm(options, jvmOptions, FlintColdBoot.class,
                coldBootArguments()))) {
            WatchedProcess.Line ready = child.await(line -> line.contains(FlintBoot.READY),
                    "Flint's guest's '" + FlintBoot.READY + "' line", BOOT_TIMEOUT);
            WatchedProcess.Line phasesLine = child.await(line -> line.startsWith(FlintColdBoot.PHASES + " "),
                    "the phases line of " + FlintColdBoot.class.getSimpleName(), Duration.ofSeconds(30));
            Map<String, Long> phases = KeyValueLine.parse(FlintColdBoot.PHASES, phasesLine.text());
            double processToReady = millis(ready.nanosSinceStart());
            add(prefix + ".process_to_ready", processToReady);
            add(prefix + ".jvm_start", processToReady - millis(phases.get("start_to_ready_ns")));
            add(prefix + ".host_setup", millis(phases.get("host_setup_ns")));
            add(prefix + ".kernel_to_init", millis(phases.get("kernel_to_init_ns")));
            add(prefix + ".init_to_ready", millis(phases.get("init_to_ready_ns")));
            add(prefix + ".init_to_agent_listening", millis(phases.get("init_to_agent_listening_ns")));
            add(prefix + ".start_to_ready", millis(phases.get("start_to_ready_ns")));
            add(prefix + ".process_rss", phases.get("rss_kib") / 1024.0);
            phases.forEach((key, nanos) -> {
                if (key.startsWith(FlintBoot.SETUP_STEP)) {   // host_setup, step by step
                    add(prefix + ".host_setup." + key.substring(FlintBoot.SETUP_STEP.length(), key.length() - 3), millis(nanos));
                }
            });
            addGuestPhases(prefix, ready.text());
            child.waitFor(Duration.ofSeconds(30));
        }
    }

    // No VirtualMachine boot in this JVM: in the rig, ending one (vm.stop() or the agent's
    // POWER_OFF) killed the JVM with Flint's vCPU kick signal (SIGRTMIN+6, exit 168) in 2 of 3
    // tries; Machine's own lifecycle did not. The VMM's split comes from the fresh-JVM child,
    // which reports before it powers off; its exit status is not looked at.

    private void qemuMicrovm(boolean record) throws Exception {
        boolean exec = peerExec.equals("on");
        try (WatchedProcess qemu = WatchedProcess.start(peer().command())) {
            WatchedProcess.Line ready = qemu.await(line -> line.contains(FlintBoot.READY),
                    "QEMU's guest's '" + FlintBoot.READY + "' line", BOOT_TIMEOUT);
            long rssKib = qemu.residentKib();
            Optional<VmmMemory.Split> memory = qemuMemory(qemu.pid());
            if (record) {
                add("qemu.process_to_ready", millis(ready.nanosSinceStart()));
                add("qemu.process_rss", rssKib / 1024.0);
                addGuestPhases("qemu", ready.text());
                memory.ifPresent(split -> addVmmMemory("qemu.vmm_rss", split));
            }
            if (exec) {
                try (AgentClient agent = connectOverVsock()) {
                    if (record) {   // Flint's Machine.create returns at this point: connected, HELLO read
                        add("qemu.process_to_hello", millis(qemu.nanosSinceStart()));
                    }
                    measureExec("qemu", record, argv -> agent.exec(ExecRequest.builder(argv).build()));
                } catch (IOException e) {
                    throw new IOException(e.getMessage() + "; QEMU's last output:\n" + qemu.recentOutput(), e);
                }
            }
        }
    }

    private static Optional<VmmMemory.Split> qemuMemory(long pid) {
        try {
            return Optional.of(VmmMemory.ofQemu(pid, (long) MEMORY_MB << 20));
        } catch (IOException e) {
            System.err.println("rig-bench: no qemu.vmm_rss this round: " + e.getMessage());
            return Optional.empty();
        }
    }

    /** The peer's agent over vhost-vsock, retried while the guest's listener is not up yet (20 s at most). */
    static AgentClient connectOverVsock() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            try {
                return AgentClient.connect(VsockChannel.connect(FlintBoot.GUEST_CID, AGENT_PORT), Duration.ofSeconds(20));
            } catch (ConnectException e) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("the peer's agent refused vsock connections for 20 s: " + e.getMessage(), e);
                }
                Thread.sleep(20);
            }
        }
    }

    private void warmFlintMachine(boolean record) throws Exception {
        MachineConfig config = MachineConfig.builder().name("bench").memoryMb(MEMORY_MB).cpus(1)
                .kernel(images.vmlinux()).initrd(images.initramfs()).network(NetworkPolicy.none()).build();
        System.gc();   // a settled heap, so the growth below is the machine's
        long self = ProcessHandle.current().pid();
        long residentBefore = VmmMemory.residentKib(self);
        long start = System.nanoTime();
        try (Machine machine = Machine.create(config)) {
            long readyNanos = System.nanoTime() - start;
            long guestKib = machine.metrics().guestMemoryResidentBytes() / 1024;
            VmmMemory.Split memory = new VmmMemory.Split(VmmMemory.residentKib(self) - residentBefore, guestKib);
            if (record) {
                add("flint.warm.create_to_ready", millis(readyNanos));
                addVmmMemory("flint.warm.vmm_rss", memory);
            }
            measureExec("flint", record, argv -> asProcessResult(machine.exec(argv)));
        }
    }

    /** Flint's machine with the throughput disk and NAT, both guest ports forwarded ({@link DeviceThroughput}). */
    private void flintDevices() throws Exception {
        MachineConfig config = MachineConfig.builder().name("bench-devices").memoryMb(MEMORY_MB).cpus(1)
                .kernel(images.vmlinux()).initrd(images.initramfs()).disk(throughputDisk, false)
                .network(NetworkPolicy.allowAll()).port(PortSpec.tcp(0, DeviceThroughput.GUEST_HTTP_PORT))
                .port(PortSpec.tcp(0, DeviceThroughput.GUEST_SINK_PORT)).build();
        try (Machine machine = Machine.create(config)) {
            DeviceThroughput.measure("flint", argv -> asProcessResult(machine.exec(argv)),
                    hostPort(machine, DeviceThroughput.GUEST_HTTP_PORT), hostPort(machine, DeviceThroughput.GUEST_SINK_PORT),
                    this::add);
        }
    }

    private static int hostPort(Machine machine, int guestPort) {
        return machine.ports().stream().filter(p -> p.guestPort() == guestPort).findFirst()
                .orElseThrow(() -> new IllegalStateException("guest port " + guestPort + " is not forwarded")).hostPort();
    }

    /** QEMU's own virtio-blk-device and -netdev user on the same disk, timed through the same agent over vhost-vsock. */
    private void qemuDevices() throws Exception {
        int http = DeviceThroughput.freePort();
        int sink = DeviceThroughput.freePort();
        QemuMicrovm qemu = peer().withDiskAndNat(throughputDisk, Map.of(http, DeviceThroughput.GUEST_HTTP_PORT,
                sink, DeviceThroughput.GUEST_SINK_PORT), DeviceThroughput.GUEST_NET_ARGUMENT);
        try (WatchedProcess process = WatchedProcess.start(qemu.command())) {
            process.await(line -> line.contains(FlintBoot.READY), "QEMU's guest's '" + FlintBoot.READY + "' line", BOOT_TIMEOUT);
            try (AgentClient agent = connectOverVsock()) {
                DeviceThroughput.measure("qemu", argv -> agent.exec(ExecRequest.builder(argv).build()), http, sink, this::add);
            } catch (IOException e) {
                throw new IOException(e.getMessage() + "; QEMU's last output:\n" + process.recentOutput(), e);
            }
        }
    }

    private static ProcessResult asProcessResult(ExecResult result) {
        return new ProcessResult(result.exitCode(), 0, result.stdoutBytes(), result.stderrBytes());
    }


    private void measureExec(String side, boolean record, GuestExec executor) throws Exception {
        List<Double> trueMicros = new ArrayList<>();
        for (int i = 0; i < options.execRounds(); i++) {
            long start = System.nanoTime();
            ProcessResult result = executor.exec(TRUE);
            trueMicros.add((System.nanoTime() - start) / 1e3);
            require(result.exitCode() == 0, () -> side + ": exec(true) exited " + result.exitCode());
        }
        List<Double> bigMillis = new ArrayList<>();
        for (int i = 0; i < options.bigExecRounds(); i++) {
            long start = System.nanoTime();
            ProcessResult result = executor.exec(ONE_MIB);
            bigMillis.add(millis(System.nanoTime() - start));
            require(result.exitCode() == 0 && result.stdout().length == 1 << 20,
                    () -> side + ": 'head -c 1048576 /dev/zero' gave exit " + result.exitCode() + " and "
                            + result.stdout().length + " bytes, not 1048576");
        }
        if (record) {
            trueMicros.forEach(v -> add(side + ".exec_true", v));
            bigMillis.forEach(v -> add(side + ".exec_1mib", v));
            add(side + ".exec_true.round_median", Summary.of(trueMicros).median());
            add(side + ".exec_1mib.round_median", Summary.of(bigMillis).median());
        }
    }

    private static void require(boolean condition, Supplier<String> failure) {
        if (!condition) {
            throw new IllegalStateException(failure.get());
        }
    }

    /** A memory figure, or, when the guest's pages do not fit in the process's, none and why: never a clamped one. */
    private void addVmmMemory(String metric, VmmMemory.Split memory) {
        if (memory.fits()) {
            add(metric, memory.vmmKib() / 1024.0);
        } else {
            System.err.printf("rig-bench: no %s this round: the guest's own pages (%d KiB) do not fit in the VMM's"
                    + " resident set (%d KiB): a count is wrong; report it%n", metric, memory.guestKib(), memory.processKib());
        }
    }

    /** The guest's own kernel and init phases from its ready line, under {@code prefix} (the VMM). */
    private void addGuestPhases(String prefix, String readyLine) {
        GuestPhases.of(readyLine).ifPresent(phases -> {
            add(prefix + ".guest_kernel", phases.kernelMs());
            add(prefix + ".guest_init", phases.initMs());
        });
    }

    private void add(String metric, double value) {
        samples.computeIfAbsent(metric, k -> new ArrayList<>()).add(value);
    }

    private List<Metric> metrics() {
        List<Metric> metrics = new ArrayList<>();
        samples.forEach((name, values) -> metrics.add(new Metric(name, RigMetrics.unit(name),
                RigMetrics.describe(name), values)));
        return metrics;
    }

    private List<Ratio> ratios() {
        Map<String, Metric> byName = new LinkedHashMap<>();
        metrics().forEach(m -> byName.put(m.name(), m));
        List<Ratio> ratios = new ArrayList<>();
        for (RigMetrics.RatioSpec spec : RigMetrics.RATIOS) {
            Metric flint = byName.get(spec.flint());
            Metric peer = byName.get(spec.peer());
            if (flint != null && peer != null && flint.samples().size() == peer.samples().size()) {
                ratios.add(Ratio.of(spec.name(), spec.description(), flint, peer));
            }
        }
        return ratios;
    }

    private void recordConditions() {
        conditions.putAll(options.conditions());
        conditions.put("rounds", String.valueOf(options.rounds()));
        conditions.put("exec_true_per_round", String.valueOf(options.execRounds()));
        conditions.put("exec_1mib_per_round", String.valueOf(options.bigExecRounds()));
        conditions.put("guest_memory_mb", String.valueOf(MEMORY_MB));
        conditions.put("guest_vcpus", "1");
        conditions.put("guest_kernel", images.vmlinux().toString());
        conditions.put("guest_initramfs", images.initramfs() + " (" + size(images.initramfs()) + " bytes)");
        conditions.put("guest_cmdline", CMDLINE);
        conditions.put("peer_command", String.join(" ", peer().command()));
        conditions.put("peer_exec", peerExec);
        conditions.put("peer_restore", peerRestore);
        if (qemuRestore != null) {
            conditions.put("peer_restore_connect_attempts", peerRestoreAttempts + " per recorded round (each waits 100 ms"
                    + " for the HELLO, doubling per retry; one made before the guest handled the vsock TRANSPORT_RESET"
                    + " hears nothing)");
        }
        if (qemuRestore != null) {
            conditions.put("peer_restore_command", String.join(" ", peer().restoreCommand(Path.of("SOCK"),
                    qemuRestore.state())) + "; saved with QMP stop + migrate exec:cat > FILE, resumed with QMP cont");
        }
        conditions.put("flint_restore", options.flintRestore() ? "on" : "off (run with --restore)");
        if (flintRestore != null) {
            conditions.put("flint_restore_fresh_process_retries", flintRestore.freshProcessRetries() + " (a fresh-JVM"
                    + " restore that hung, printed its thread dump to the log and was run again)");
        }
        if (failure != null) {
            conditions.put("failed", "the run stopped after the rounds recorded here: " + failure);
        }
        conditions.put("rig_kernel", System.getProperty("os.version"));
        conditions.put("rig_java", System.getProperty("java.vm.version"));
        conditions.put("rig_cpu", cpuModel());
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return -1;
        }
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static double millis(long nanos) {
        return nanos / 1e6;
    }

    private static void progress(String message) {
        System.err.println("rig-bench: " + message);
    }
}
