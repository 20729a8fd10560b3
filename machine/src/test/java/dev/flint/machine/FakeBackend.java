package dev.flint.machine;

import dev.flint.agent.StartFailure;
import dev.flint.virtio.vsock.VsockMuxer;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A machine without a VM, for engine, server and client tests: the real state machine
 * ({@link MachineLifecycle}) and a scripted agent. {@code echo ARGS} prints ARGS; {@code fail}
 * prints to stderr and exits 3; {@code hang} with a timeout times out; {@code /bin/sh -l -c X}
 * prints "login:X"; {@code pwd} prints the workdir. A config whose bootArgs contain
 * {@code fail-boot} cannot start.
 */
public final class FakeBackend implements MachineBackend {
    private final String id;
    private volatile MachineConfig config;
    private final Instant createdAt;
    private volatile MachineState state = MachineState.STOPPED;
    private volatile Instant startedAt;
    private volatile String lastStopReason;
    private java.util.concurrent.ScheduledFuture<?> expiry;
    private MachineFiles files;

    FakeBackend(String id, MachineConfig config, Instant createdAt) {
        this.id = id;
        this.config = config;
        this.createdAt = createdAt;
        // As LocalMachine: a saved guest of this id in the machine's directory makes it paused.
        if (SavedGuest.read(pausedDirectory()).filter(g -> g.machineId().equals(id)).isPresent()) {
            state = MachineState.PAUSED;
        }
    }

    private java.nio.file.Path pausedDirectory() {
        return FlintHome.machineDirectory(config.name()).resolve(LocalMachine.PAUSED);
    }

    /** Every command run in the machine, in order. */
    public final List<List<String>> commands = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** The hostname the last resume gave the guest, as a renewal would. */
    public volatile java.util.Optional<String> renewedHostname = java.util.Optional.empty();

    /** Pauses as LocalMachine does, writing only the record (a fake has no VM to save). */
    @Override
    public synchronized void pause() {
        MachineLifecycle.require(config.name(), state, MachineLifecycle.Action.PAUSE);
        try {
            java.nio.file.Files.createDirectories(pausedDirectory());
            new SavedGuest(id, SavedGuest.macOf(id), pausedDirectory().resolve(SnapshotStore.VM), Optional.empty())
                    .write(pausedDirectory());
        } catch (java.io.IOException e) {
            throw new FlintException("fake pause: " + e.getMessage(), e);
        }
        cancelExpiry();
        state = MachineState.PAUSED;
        lastStopReason = "paused";
    }

    @Override
    public synchronized void resume(Duration timeout) {
        MachineLifecycle.require(config.name(), state, MachineLifecycle.Action.RESUME);
        SavedGuest saved = SavedGuest.read(pausedDirectory()).orElseThrow();
        renewedHostname = saved.hostname();
        try {
            SnapshotStore.deleteTree(pausedDirectory());
        } catch (java.io.IOException e) {
            throw new FlintException("fake resume: " + e.getMessage(), e);
        }
        runs();
    }

    /** Writes a snapshot's record and a stand-in VM directory (a fake has no VM). */
    @Override
    public void saveSnapshot(java.nio.file.Path directory, String name) {
        MachineLifecycle.require(config.name(), state, MachineLifecycle.Action.SNAPSHOT);
        try {
            java.nio.file.Files.createDirectories(directory.resolve(SnapshotStore.VM));
            SnapshotStore.writeRecord(directory, name, config, SavedGuest.macOf(id));
        } catch (java.io.IOException e) {
            throw new FlintException("fake snapshot: " + e.getMessage(), e);
        }
    }

    /** As LocalMachine: the directory renamed, the guest given the new hostname. */
    @Override
    public synchronized void adopt(MachineConfig adopted) {
        if (state != MachineState.RUNNING) {
            throw new MachineStateException("machine " + config.name() + " is not running (fake)");
        }
        SnapshotStore.moveMachine(id, config.name(), adopted.name());
        config = adopted;
        renewedHostname = Optional.of(adopted.name());
    }

    static FakeBackend define(String id, MachineConfig config, Instant createdAt, OutputStream consoleCopy) {
        return new FakeBackend(id, config, createdAt);
    }

    private volatile Runnable onStateChange = () -> { };

    /** As a guest crash does: the machine reads as stopped from now on, and says so to its listener at once. */
    public void crash() {
        state = MachineState.STOPPED;
        lastStopReason = MachineInfo.CRASHED + "Kernel panic - not syncing: test";
        onStateChange.run();
    }

    @Override
    public void onStateChange(Runnable listener) {
        onStateChange = listener;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public MachineConfig config() {
        return config;
    }

    @Override
    public MachineState status() {
        return state;
    }

    @Override
    public synchronized void start(Duration bootTimeout) {
        MachineLifecycle.require(config.name(), state, MachineLifecycle.Action.START);
        if (config.bootArgs().contains("fail-boot")) {
            lastStopReason = "boot failed";
            throw new AgentUnavailableException("the agent of machine " + config.name() + " did not answer (fake)", null);
        }
        runs();
    }

    /** As LocalMachine: running from now, its time to live counting, and {@link Expiry#expire} acting when it runs out. */
    private void runs() {
        state = MachineState.RUNNING;
        startedAt = Instant.now();
        lastStopReason = null;
        config.timeout().ifPresent(ttl -> expiry = Expiry.schedule(ttl, () -> Expiry.expire(new Expiry.Expiring() {
            @Override
            public MachineState status() {
                return state;
            }

            @Override
            public void pause() {
                FakeBackend.this.pause();
            }

            @Override
            public void stop(String reason) {
                FakeBackend.this.stop(reason);
            }

            @Override
            public void paused() {
                onStateChange.run();
            }
        }, config.onTimeout(), ttl)));
    }

    private synchronized void cancelExpiry() {
        if (expiry != null) {
            expiry.cancel(false);
            expiry = null;
        }
    }

    @Override
    public void stop(Duration timeout) {
        stop("stopped by the host");
    }

    private synchronized void stop(String reason) {
        MachineLifecycle.require(config.name(), state, MachineLifecycle.Action.STOP);
        if (state == MachineState.RUNNING || state == MachineState.PAUSED) {
            cancelExpiry();
            state = MachineState.STOPPED;
            lastStopReason = reason;
        }
    }

    @Override
    public synchronized void restart() {
        MachineLifecycle.require(config.name(), state, MachineLifecycle.Action.RESTART);
        stop(Duration.ZERO);
        start(config.bootTimeout());
    }

    @Override
    public synchronized void delete() {
        cancelExpiry();
        state = MachineState.DELETED;
        SnapshotStore.release(id, config.name());
    }

    @Override
    public ExecResult exec(List<String> argv, ExecOptions options) {
        StringBuilder out = new StringBuilder();
        StringBuilder err = new StringBuilder();
        ExecResult status = exec(argv, options, b -> out.append(new String(b, StandardCharsets.UTF_8)),
                b -> err.append(new String(b, StandardCharsets.UTF_8)));
        return new ExecResult(argv, status.exitCode(), status.signal(), out.toString().getBytes(StandardCharsets.UTF_8),
                err.toString().getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public ExecResult run(String image, List<String> argv, RunOptions options, Consumer<byte[]> onStdout,
                          Consumer<byte[]> onStderr) {
        throw new UnsupportedOperationException("the fake backend has no images");
    }

    @Override
    public ExecResult exec(List<String> argv, ExecOptions options, Consumer<byte[]> onStdout, Consumer<byte[]> onStderr) {
        synchronized (this) {
            if (state == MachineState.PAUSED) {
                resume(config.bootTimeout());   // as LocalMachine: a command wakes a paused machine
            }
        }
        MachineLifecycle.require(config.name(), state, MachineLifecycle.Action.EXEC);
        commands.add(List.copyOf(argv));
        switch (argv.get(0)) {
            case "echo" -> {
                onStdout.accept(String.join(" ", argv.subList(1, argv.size())).getBytes(StandardCharsets.UTF_8));
                onStdout.accept("\n".getBytes(StandardCharsets.UTF_8));
                return new ExecResult(argv, 0, 0, new byte[0], new byte[0]);
            }
            case "fail" -> {
                onStderr.accept("failing on purpose\n".getBytes(StandardCharsets.UTF_8));
                return new ExecResult(argv, 3, 0, new byte[0], new byte[0]);
            }
            case "hang" -> throw new ExecTimeoutException(argv, options.timeout().orElse(Duration.ofSeconds(1)), null);
            // As LocalMachine reports the agent's EXEC_FAILED: the machine runs on.
            case "missing" -> throw new ExecStartException("machine " + config.name() + " could not start missing: exec missing:"
                    + " No such file or directory (ENOENT, errno 2)", new StartFailure(StartFailure.Step.EXEC, 2, "ENOENT",
                    "missing"));
            case "noexec" -> throw new ExecStartException("machine " + config.name() + " could not start noexec: exec /bin/noexec:"
                    + " Permission denied (EACCES, errno 13)", new StartFailure(StartFailure.Step.EXEC, 13, "EACCES",
                    "/bin/noexec"));
            case "flood" -> {
                for (int i = 0; i < 3; i++) {
                    onStdout.accept(new byte[1000]);
                }
                return new ExecResult(argv, 0, 0, new byte[0], new byte[0]);
            }
            case "pwd" -> {
                String dir = options.workdir().or(config::workdir).orElse("/");
                onStdout.accept((dir + "\n").getBytes(StandardCharsets.UTF_8));
                return new ExecResult(argv, 0, 0, new byte[0], new byte[0]);
            }
            case "env" -> {   // as the agent does: the machine's env under the exec's own
                Map<String, String> env = new java.util.TreeMap<>(config.env());
                env.putAll(options.env());
                env.forEach((k, v) -> onStdout.accept((k + "=" + v + "\n").getBytes(StandardCharsets.UTF_8)));
                return new ExecResult(argv, 0, 0, new byte[0], new byte[0]);
            }
            case "cat" -> {
                onStdout.accept(options.stdin().orElse(new byte[0]));
                return new ExecResult(argv, 0, 0, new byte[0], new byte[0]);
            }
            case "/bin/sh" -> {
                onStdout.accept(("login:" + argv.get(argv.size() - 1)).getBytes(StandardCharsets.UTF_8));
                return new ExecResult(argv, 0, 0, new byte[0], new byte[0]);
            }
            default -> {
                onStderr.accept(("sh: " + argv.get(0) + ": not found\n").getBytes(StandardCharsets.UTF_8));
                return new ExecResult(argv, 127, 0, new byte[0], new byte[0]);
            }
        }
    }

    @Override
    public MachineInfo info() {
        boolean up = state == MachineState.RUNNING;
        return new MachineInfo(config.name(), state, config.cpus(), config.memoryMb(), config.diskMb(), config.mounts(),
                Optional.empty(), up ? config.ports() : List.of(), config.metadata(), createdAt,
                up ? Optional.of(startedAt) : Optional.empty(),
                up ? Optional.of(Duration.ofMillis(42)) : Optional.empty(), Optional.ofNullable(lastStopReason), id);
    }

    /**
     * A fake terminal: echoes what is typed, answers "size" with the size, ends on "exit N" with
     * code N, and on a hang-up with SIGHUP.
     */
    @Override
    public TerminalSession openTerminal(List<String> argv, ExecOptions options, dev.flint.agent.TerminalSize size,
                                        Consumer<byte[]> output) {
        MachineLifecycle.require(config.name(), state, MachineLifecycle.Action.EXEC);
        java.util.concurrent.CompletableFuture<ExecResult> exited = new java.util.concurrent.CompletableFuture<>();
        output.accept(("$ " + String.join(" ", argv) + " TERM=" + options.env().getOrDefault("TERM", "") + "\r\n")
                .getBytes(StandardCharsets.UTF_8));
        return new TerminalSession(new TerminalSession.Channel() {
            private dev.flint.agent.TerminalSize current = size;
            private final StringBuilder line = new StringBuilder();

            @Override
            public synchronized void write(byte[] bytes) {
                output.accept(bytes);   // echo
                for (byte b : bytes) {
                    if (b != '\n') {
                        line.append((char) b);
                        continue;
                    }
                    String typed = line.toString();
                    line.setLength(0);
                    if (typed.equals("size")) {
                        output.accept((current.rows() + "x" + current.columns() + "\r\n").getBytes(StandardCharsets.UTF_8));
                    } else if (typed.startsWith("exit ")) {
                        exited.complete(new ExecResult(argv, Integer.parseInt(typed.substring(5)), 0, new byte[0], new byte[0]));
                    }
                }
            }

            @Override
            public synchronized void resize(dev.flint.agent.TerminalSize newSize) {
                current = newSize;
            }

            @Override
            public Optional<ExecResult> waitFor(Duration timeout) {
                try {
                    return Optional.of(exited.get(Math.max(1, timeout.toMillis()), java.util.concurrent.TimeUnit.MILLISECONDS));
                } catch (java.util.concurrent.TimeoutException e) {
                    return Optional.empty();
                } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
                    throw new FlintException("fake terminal: " + e, e);
                }
            }

            @Override
            public void hangUp() {
                exited.complete(new ExecResult(argv, -1, 1, new byte[0], new byte[0]));
            }
        });
    }

    /** The guest's files: a directory of the host's, made on first use, gone with the JVM's temp files. */
    @Override
    public synchronized MachineFiles files() {
        MachineLifecycle.require(config.name(), state, MachineLifecycle.Action.EXEC);
        if (files == null) {
            try {
                Path root = Files.createTempDirectory("fake-guest-");
                root.toFile().deleteOnExit();
                files = new HostDirectoryFiles(root);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return files;
    }

    @Override
    public synchronized void setEnv(Map<String, String> env) {
        MachineLifecycle.require(config.name(), state, MachineLifecycle.Action.CONFIGURE);
        config = config.withEnv(env);
    }

    @Override
    public synchronized MachineMetrics metrics(boolean wake) {
        if (state == MachineState.PAUSED) {
            if (!wake) {
                throw MachineNotRunningException.pausedMetrics(config.name());
            }
            resume(config.bootTimeout());
        }
        MachineLifecycle.require(config.name(), state, MachineLifecycle.Action.EXEC);
        return new MachineMetrics(Duration.ofMillis(5), 4096, 7, 1, 2, 3, 4, 5, 6, 0);
    }

    @Override
    public String consoleLog() {
        return "fake console of " + config.name() + "\n";
    }

    @Override
    public VsockMuxer vsock() {
        throw new FlintException("a fake machine has no vsock");
    }
}
