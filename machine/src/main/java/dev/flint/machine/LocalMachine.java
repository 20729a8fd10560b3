package dev.flint.machine;

import dev.flint.agent.ExecFailedException;
import dev.flint.agent.ExecHandle;
import dev.flint.agent.ExecRequest;
import dev.flint.agent.OutputListener;
import dev.flint.agent.ProcessResult;
import dev.flint.agent.Renewal;
import dev.flint.image.PullListener;
import dev.flint.image.PullPolicy;
import dev.flint.virtio.vsock.VsockMuxer;
import dev.flint.vmm.VmExit;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.function.Consumer;

/**
 * A machine whose VM runs in this JVM: today's engine. {@link RunningGuest} is one boot of it,
 * {@link MachineDisk} its disk across boots; this class holds the state between them and the
 * time-to-live timer. {@link Machine} handles reach it through {@link LocalEngine}.
 */
final class LocalMachine implements MachineBackend {
    private static final int CONSOLE_BYTES = 64 * 1024;
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    /** The directory under the machine's own where a paused machine's VM is saved. */
    static final String PAUSED = "paused";

    private final String id;
    /** Replaced only by {@link #adopt}, when a warm pool's machine is checked out under its user's name. */
    private volatile MachineConfig config;
    private final Optional<MachineDisk> disk;
    /** The image every exec runs in ({@link MachineConfig#image()}), pulled before the machine was defined. */
    private final Optional<ImageRootfs> image;
    private final ConsoleLog console;
    private final Instant createdAt;
    private volatile RunningGuest guest;
    private volatile MachineState state = MachineState.STOPPED;
    private volatile String lastStopReason;
    /** The message calls get after the guest crashed, until the next start; null otherwise. */
    private volatile String crashMessage;
    private volatile Runnable onStateChange = () -> { };
    /** The MAC of the network device: {@link SavedGuest#macOf} for a boot, the saved guest's for a restore. */
    private volatile dev.flint.virtio.net.MacAddress mac;
    private final Booter booter;
    private final Restorer restorer;
    /** The boot in progress, which a stop or delete cancels; null when none runs. Guarded by this. */
    private BootCancel booting;
    private ScheduledFuture<?> expiry;

    /** How a start boots the guest: {@link RunningGuest#boot}, or a fake in tests. */
    @FunctionalInterface
    interface Booter {
        RunningGuest boot(MachineConfig config, Optional<MachineDisk> disk, dev.flint.virtio.net.MacAddress mac,
                          ConsoleLog console, Duration bootTimeout, BootCancel cancel);
    }

    /** How a resume restores the guest: {@link RunningGuest#restore}, or a fake in tests. */
    @FunctionalInterface
    interface Restorer {
        RunningGuest restore(MachineConfig config, Optional<MachineDisk> disk, dev.flint.virtio.net.MacAddress mac,
                             ConsoleLog console, Duration timeout, Path vmState, Optional<String> hostname);
    }

    LocalMachine(String id, MachineConfig config, Optional<MachineDisk> disk, Optional<ImageRootfs> image,
                 ConsoleLog console, Instant createdAt, Booter booter) {
        this(id, config, disk, image, console, createdAt, booter, RunningGuest::restore);
    }

    /**
     * A machine {@link MachineState#PAUSED} when its directory holds a saved guest of this id
     * (a pause before the server restarted, or a machine made from a snapshot), else stopped. A
     * saved guest of an earlier machine of the same name is removed when this machine holds the
     * directory's lock (its own disk); a diskless machine of that name in another JVM may still own it.
     */
    LocalMachine(String id, MachineConfig config, Optional<MachineDisk> disk, Optional<ImageRootfs> image,
                 ConsoleLog console, Instant createdAt, Booter booter, Restorer restorer) {
        this.id = id;
        this.config = config;
        this.disk = disk;
        this.image = image;
        this.console = console;
        this.createdAt = createdAt;
        this.booter = booter;
        this.restorer = restorer;
        Optional<SavedGuest> saved = SavedGuest.read(pausedDirectory()).filter(g -> g.machineId().equals(id));
        if (saved.isPresent()) {
            state = MachineState.PAUSED;
            lastStopReason = "paused";
        } else if (disk.isPresent()) {
            removePaused();
        }
        this.mac = saved.map(SavedGuest::mac).orElse(SavedGuest.macOf(id));
    }

    private Path pausedDirectory() {
        return FlintHome.machineDirectory(config.name()).resolve(PAUSED);
    }

    /** Drops the saved guest (after a resume, a stop or a delete): the restored VM maps what it needs. */
    private void removePaused() {
        try {
            SnapshotStore.deleteTree(pausedDirectory());
            SnapshotStore.deleteTree(pausedDirectory().resolveSibling(PAUSED + ".partial"));
            if (disk.isEmpty()) {
                try {
                    Files.deleteIfExists(pausedDirectory().getParent());   // a diskless machine's directory held only that
                } catch (java.nio.file.DirectoryNotEmptyException e) {
                    // Something else lives there (a retained disk of an earlier machine): it stays.
                }
            }
        } catch (IOException e) {
            // Only this machine's id can resume it; a leftover is removed by the next machine of this name.
        }
    }

    /**
     * A machine that exists (its disk made and locked) but has not booted: {@link MachineState#STOPPED}
     * until {@link #start}.
     */
    static LocalMachine define(String id, MachineConfig config, Instant createdAt, OutputStream consoleCopy) {
        Objects.requireNonNull(config, "config");
        Optional<ImageRootfs> image = config.image()
                .map(reference -> Images.local().rootfs(reference, PullPolicy.MISSING, PullListener.NONE));
        Optional<MachineDisk> disk = config.hasOwnDisk() ? Optional.of(MachineDisk.open(config)) : Optional.empty();
        return new LocalMachine(id, config, disk, image, new ConsoleLog(CONSOLE_BYTES, consoleCopy), createdAt,
                RunningGuest::boot);
    }

    /**
     * Boots a stopped machine and waits up to {@code bootTimeout} (checked by the handle) for its
     * agent. The boot runs without this machine's lock, so a {@link #stop} or {@link #delete}
     * meanwhile cancels it at once; start then throws {@link MachineStateException}.
     */
    @Override
    public void start(Duration bootTimeout) {
        BootCancel cancel = new BootCancel();
        synchronized (this) {
            MachineLifecycle.require(config.name(), status(), MachineLifecycle.Action.START);
            state = MachineState.BOOTING;
            booting = cancel;
            crashMessage = null;
        }
        RunningGuest booted = null;
        RuntimeException failure = null;
        try {
            mac = SavedGuest.macOf(id);   // a cold boot: the guest reads its MAC afresh
            booted = booter.boot(config, disk, mac, console, bootTimeout, cancel);
            image.ifPresent(booted::publish);
        } catch (RuntimeException e) {
            failure = e;
        }
        finishBoot(booted, cancel, failure);
    }

    /** The machine runs {@code booted}, or, after a failure or a cancel, is stopped (or deleted) and says why. */
    private synchronized void finishBoot(RunningGuest booted, BootCancel cancel, RuntimeException failure) {
        booting = null;
        notifyAll();   // a stop or delete waiting for the boot to end
        String cancelled = cancel.reason();
        if (failure == null && cancelled == null) {
            runs(booted);
            return;
        }
        if (booted != null) {
            booted.close();
        }
        if (state != MachineState.DELETED) {
            state = MachineState.STOPPED;
        }
        if (cancelled != null) {
            lastStopReason = cancelled + " while booting";
            MachineStateException e = new MachineStateException("machine " + config.name() + " was "
                    + (state == MachineState.DELETED ? "deleted" : "stopped") + " while it booted (" + cancelled
                    + "); start() it again");
            if (failure != null) {
                e.initCause(failure);
            }
            throw e;
        }
        lastStopReason = "boot failed: " + failure.getMessage();
        throw failure;
    }

    /** The machine runs {@code booted} (booted or restored): watched for its end, its time to live running. */
    private void runs(RunningGuest booted) {
        guest = booted;
        state = MachineState.RUNNING;
        lastStopReason = null;
        // The machine learns of its guest's end by itself (a crash, a power-off from inside).
        booted.vm.whenEnded(exit -> Thread.ofVirtual().name("flint-" + config.name() + "-ended")
                .start(() -> guestEnded(booted, true)));
        config.timeout().ifPresent(ttl -> expiry = Expiry.schedule(ttl, () -> expire(ttl)));
    }

    /**
     * Takes the running machine as {@code adopted}'s (a warm pool checkout): its directory renamed,
     * the guest renewed with the new hostname (clock and entropy too) before any command, and the
     * new config's time to live started.
     */
    @Override
    public synchronized void adopt(MachineConfig adopted) {
        RunningGuest running = guest;
        if (state != MachineState.RUNNING || running == null) {
            throw new MachineStateException("machine " + config.name() + " is " + state.name().toLowerCase()
                    + ", so it cannot be checked out of its warm pool");
        }
        SnapshotStore.moveMachine(id, config.name(), adopted.name());
        disk.ifPresent(d -> d.relocate(FlintHome.machineDirectory(adopted.name())));
        try {
            running.agent.renew(Renewal.now(Optional.of(adopted.name())));
        } catch (IOException e) {
            throw new AgentUnavailableException("machine " + config.name() + " could not be renamed " + adopted.name()
                    + " in its guest: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FlintException("interrupted while machine " + config.name() + " was renamed " + adopted.name(), e);
        }
        config = adopted;
        cancelExpiry();
        adopted.timeout().ifPresent(ttl -> expiry = Expiry.schedule(ttl, () -> expire(ttl)));
    }

    /**
     * Pauses the guest and saves it (VM state, memory, and which MAC it holds) to the machine's
     * {@code paused} directory, written aside and renamed into place, then releases the VM: its
     * threads, fds and memory. The disk stays as the guest left it. A failed save lets the guest
     * run on and says why.
     */
    @Override
    public synchronized void pause() {
        MachineLifecycle.require(config.name(), status(), MachineLifecycle.Action.PAUSE);
        RunningGuest current = guest;
        Path target = pausedDirectory();
        Path partial = target.resolveSibling(PAUSED + ".partial");
        try {
            SnapshotStore.deleteTree(partial);
            Files.createDirectories(partial);
        } catch (IOException e) {
            throw new FlintException("machine " + config.name() + " could not be paused: cannot write " + partial + ": "
                    + e.getMessage(), e);
        }
        try {
            current.saveTo(partial.resolve(SnapshotStore.VM));
            new SavedGuest(id, mac, target.resolve(SnapshotStore.VM), Optional.empty()).write(partial);
            SnapshotStore.deleteTree(target);   // a leftover of an earlier machine of this name
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            removePaused();
            current.resumeVm();
            throw new FlintException("machine " + config.name() + " could not be paused (it runs on): " + e.getMessage(), e);
        }
        cancelExpiry();
        guest = null;   // before the close: the VM's end is this pause, not a crash
        state = MachineState.PAUSED;
        lastStopReason = "paused";
        current.close();
    }

    /**
     * Restores the saved guest with the devices a boot has (same MAC), reconnects its agent and
     * renews it (clock, entropy, and a new machine's hostname) before any command; then the
     * saved directory is removed. A failed restore leaves the machine paused, saved as it was.
     */
    @Override
    public synchronized void resume(Duration timeout) {
        MachineLifecycle.require(config.name(), status(), MachineLifecycle.Action.RESUME);
        SavedGuest saved = SavedGuest.read(pausedDirectory()).filter(g -> g.machineId().equals(id))
                .orElseThrow(() -> new FlintException("machine " + config.name() + " is paused but its saved state in "
                        + pausedDirectory() + " is gone or unreadable; stop() it and start() it again"));
        if (!Files.isDirectory(saved.vmState())) {
            throw new FlintException("machine " + config.name() + " cannot resume: its saved VM " + saved.vmState()
                    + " is gone (was the snapshot it was made from deleted?); stop() it and start() it again");
        }
        RunningGuest restored;
        try {
            restored = restorer.restore(config, disk, saved.mac(), console, timeout, saved.vmState(), saved.hostname());
            image.ifPresent(restored::publish);
        } catch (RuntimeException e) {
            lastStopReason = "paused; the last resume failed: " + e.getMessage();
            throw e;
        }
        mac = saved.mac();
        crashMessage = null;
        removePaused();
        runs(restored);
    }

    /**
     * Writes this running machine's snapshot into {@code directory} ({@link SnapshotStore}'s
     * layout): pauses the guest, saves the VM, freezes the disk, and lets it run on. The disk is
     * not copied: its file becomes a frozen layer the snapshot holds, and the machine goes on on a
     * new overlay over it ({@link DiskLayers#freeze}), so it never writes what a clone reads.
     */
    @Override
    public synchronized void saveSnapshot(Path directory, String name) {
        MachineLifecycle.require(config.name(), status(), MachineLifecycle.Action.SNAPSHOT);
        if (config.rootfs().filter(Files::isRegularFile).isPresent()) {
            throw new InvalidConfigException("machine " + config.name() + " boots the rootfs image " + config.rootfs().get()
                    + " in place, which a snapshot cannot hold; give rootfs a directory (Flint then makes the image)");
        }
        if (config.disks().stream().anyMatch(d -> !d.readOnly())) {
            throw new InvalidConfigException("machine " + config.name() + " has a writable extra disk, which machines made"
                    + " from a snapshot would share; attach extra disks read-only to snapshot it");
        }
        RunningGuest current = guest;
        current.saveTo(directory.resolve(SnapshotStore.VM));
        try {
            if (disk.isPresent()) {
                DiskLayers layers = DiskLayers.atHome();
                String holder = DiskLayers.snapshotHolder();
                Path layer = layers.freeze(disk.get(), current.ownDisk(), id, holder);
                try {
                    new DiskLayers.Hold(layer, holder).write(directory.resolve(SnapshotStore.DISK));
                } catch (IOException e) {
                    layers.release(layer, holder);
                    throw e;
                }
            }
            SnapshotStore.writeRecord(directory, name, config, mac);
        } catch (IOException e) {
            throw new FlintException("machine " + config.name() + " could not be snapshotted: " + e.getMessage(), e);
        } finally {
            current.resumeVm();
        }
    }

    /**
     * Records that {@code ended}'s VM ended by itself and releases it, unless a stop or delete owns
     * that ending; {@code notify} tells the {@link #onStateChange} listener.
     */
    private void guestEnded(RunningGuest ended, boolean notify) {
        synchronized (this) {
            if (guest != ended || state != MachineState.RUNNING) {
                return;
            }
            VmExit exit = ended.vm.exitIfEnded();
            // The reasons before the state: a call that reads STOPPED without this lock must find them.
            crashMessage = GuestEnding.crashed(exit) ? GuestEnding.crashMessage(config.name(), exit, console) : null;
            lastStopReason = GuestEnding.stopReason(exit, console.text());
            guest = null;
            state = MachineState.STOPPED;
            cancelExpiry();
            ended.close();
        }
        if (notify) {
            onStateChange.run();
        }
    }

    /** {@code listener} runs (on another thread) each time the machine stops by itself: its guest powered off or crashed. */
    @Override
    public void onStateChange(Runnable listener) {
        onStateChange = Objects.requireNonNull(listener, "listener");
    }

    private void expire(Duration ttl) {
        Expiry.expire(new Expiry.Expiring() {
            @Override
            public MachineState status() {
                return LocalMachine.this.status();
            }

            @Override
            public void pause() {
                LocalMachine.this.pause();
            }

            @Override
            public void stop(String reason) {
                LocalMachine.this.stop(STOP_TIMEOUT, reason);
            }

            @Override
            public void paused() {
                onStateChange.run();
            }
        }, config.onTimeout(), ttl);
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public MachineConfig config() {
        return config;
    }

    /** The machine's state; a guest that powered off or crashed reads as {@link MachineState#STOPPED}. */
    @Override
    public MachineState status() {
        RunningGuest current = guest;
        if (state == MachineState.RUNNING && current != null && current.vm.exitIfEnded() != null) {
            guestEnded(current, false);   // seen here before the ending's own thread got to it
        }
        return state;
    }

    /**
     * The machine's vsock, host side: {@code connect(port, timeout)} to a guest port, or
     * {@code listen(port, acceptor)} for guest connections to a host port, as byte channels.
     */
    @Override
    public VsockMuxer vsock() {
        return running().vsock.muxer();
    }

    /** The guest's IPv4 address on its user-mode NAT network (10.0.2.15), when it has one. */
    private Optional<String> address() {
        NetworkPolicy network = config.network();
        return network.enabled() && network.tap().isEmpty()
                ? Optional.of(GuestNetwork.guestAddress().getHostAddress()) : Optional.empty();
    }

    /** The last 64 KiB of the guest's serial console. */
    @Override
    public String consoleLog() {
        return console.text();
    }

    /**
     * Runs {@code argv} with {@code options}; a timeout kills the process and throws
     * {@link ExecTimeoutException}. On a machine made from an image the process runs in that
     * image's root, which keeps what it writes.
     */
    @Override
    public ExecResult exec(List<String> argv, ExecOptions options) {
        return execute(argv, request(argv, options), options.timeout(), options.maxOutputBytes(), null, null);
    }

    /**
     * Runs {@code argv}, handing its output to {@code onStdout} and {@code onStderr} as it
     * arrives (on the agent connection's reader thread); the returned result carries the exit
     * status and no output.
     */
    @Override
    public ExecResult exec(List<String> argv, ExecOptions options, Consumer<byte[]> onStdout, Consumer<byte[]> onStderr) {
        return execute(argv, request(argv, options), options.timeout(), options.maxOutputBytes(), onStdout, onStderr);
    }

    /**
     * Runs {@code argv} in {@code imageReference}'s root with a fresh writable layer, the image's
     * Entrypoint, Cmd, Env, WorkingDir and User applying as in {@code docker run}. The image is
     * pulled by the options' policy, before anything reaches the guest.
     */
    @Override
    public ExecResult run(String imageReference, List<String> argv, RunOptions options, Consumer<byte[]> onStdout,
                          Consumer<byte[]> onStderr) {
        RunningGuest current = running();   // a stopped machine says so before anything is pulled
        ImageRootfs rootfs = Images.local().rootfs(imageReference, options.pull(), PullListener.NONE);
        current.publish(rootfs);
        ExecRequest request = withinLimits(() -> rootfs.request(argv, config.env(), options, true, ""));
        return execute(request.argv(), request, options.timeout(), options.exec().maxOutputBytes(), onStdout, onStderr);
    }

    /**
     * The guest's files: on a machine made from an image, inside that image's root with the
     * writable layer its commands share (PROTOCOL.md, "Files").
     */
    @Override
    public MachineFiles files() {
        return new AgentMachineFiles(config.name(), () -> {
            RunningGuest current = running();
            return image.map(rootfs -> current.agent.files(new ExecRequest.ImageRoot(
                    ImageRootfs.GUEST_IMAGES + "/" + rootfs.shareName(), imageUpper(rootfs)))).orElseGet(current.agent::files);
        }, this::agentFailure);
    }

    /** {@code TERM} is the caller's when given, else xterm-256color, which the guest's programs know. */
    @Override
    public TerminalSession openTerminal(List<String> argv, ExecOptions options, dev.flint.agent.TerminalSize size,
                                        Consumer<byte[]> output) {
        Map<String, String> env = new LinkedHashMap<>(options.env());
        if (!config.env().containsKey("TERM")) {
            env.putIfAbsent("TERM", "xterm-256color");
        }
        ExecOptions withTerm = new ExecOptions(env, options.workdir(), options.stdin(), options.timeout(),
                options.maxOutputBytes());
        ExecRequest request = request(argv, withTerm).withTerminal(size);
        RunningGuest current = running();
        try {
            // A terminal has one stream: the agent sends no stderr for it.
            ExecHandle handle = current.agent.start(request, OutputListener.of(output, output));
            handle.pid();   // started, or its start failure thrown here
            return TerminalSession.of(List.copyOf(argv), handle, this::agentFailure);
        } catch (ExecFailedException e) {
            throw new ExecStartException("machine " + config.name() + " could not start " + String.join(" ", argv)
                    + " on a terminal: " + e.getMessage(), e.failure());
        } catch (IOException e) {
            throw agentFailure(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FlintException("interrupted while starting " + argv, e);
        }
    }

    /**
     * Buffers the output (at most {@code maxOutput} bytes a stream) when {@code onStdout} is null,
     * else streams it; maps the agent's failures to ours.
     */
    private ExecResult execute(List<String> argv, ExecRequest request, Optional<Duration> timeout, int maxOutput,
                               Consumer<byte[]> onStdout, Consumer<byte[]> onStderr) {
        RunningGuest current = running();
        try {
            if (onStdout == null) {
                return ExecResult.of(argv, current.agent.exec(request, maxOutput));
            }
            ExecHandle handle = current.agent.start(request, OutputListener.of(onStdout, onStderr));
            Duration limit = timeout.orElse(Duration.ofDays(365));
            ProcessResult result = handle.waitFor(limit.plusSeconds(5));
            if (result == null || (timeout.isPresent() && result.signal() == 9)) {
                if (result == null) {
                    handle.kill(9);
                }
                throw new ExecTimeoutException(argv, limit, null);
            }
            return ExecResult.of(argv, result);
        } catch (dev.flint.agent.ExecTimeoutException e) {
            throw new ExecTimeoutException(argv, timeout.orElseThrow(), e);
        } catch (ExecFailedException e) {
            // The agent is fine and the machine runs on: only this command did not start.
            String command = String.join(" ", argv);
            throw new ExecStartException("machine " + config.name() + " could not start "
                    + (command.length() > 200 ? command.substring(0, 200) + "..." : command) + ": " + e.getMessage(),
                    e.failure());
        } catch (IOException e) {
            throw agentFailure(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FlintException("interrupted while running " + argv, e);
        }
    }

    ExecRequest request(List<String> argv, ExecOptions options) {
        if (argv == null || argv.isEmpty() || argv.get(0).isEmpty()) {
            throw new InvalidConfigException("exec needs a command: argv must be non-empty, got " + argv);
        }
        if (image.isPresent()) {
            RunOptions.Builder run = RunOptions.builder().exec(options);
            if (options.workdir().isEmpty()) {
                config.workdir().ifPresent(run::workdir);
            }
            return withinLimits(() -> image.get().request(argv, config.env(), run.build(), false, imageUpper(image.get())));
        }
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        env.put("HOME", "/root");
        env.putAll(config.env());
        env.putAll(options.env());
        return withinLimits(() -> {
            ExecRequest.Builder request = ExecRequest.builder(argv).env(env);
            options.workdir().or(config::workdir).ifPresent(request::workdir);
            options.stdin().ifPresent(request::stdin);
            options.timeout().ifPresent(request::timeout);
            return request.build();
        });
    }

    /**
     * Builds a request, the protocol's limits ({@link dev.flint.agent.ExecLimits}) checked: the
     * machine's env, the command's and its argv may each be within them and together not.
     */
    private static ExecRequest withinLimits(java.util.function.Supplier<ExecRequest> build) {
        try {
            return build.get();
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigException("exec: " + e.getMessage());
        }
    }

    /**
     * Where an image machine keeps what its commands write: on its disk when it has one (the
     * agent mounts it at /.flint/disk; overlayfs cannot stack its upper layer on the root
     * overlay), else in the guest's RAM for as long as it runs.
     */
    private String imageUpper(ImageRootfs rootfs) {
        return (disk.isPresent() ? "/.flint/disk/images/" : "/run/flint/images/") + rootfs.shareName();
    }

    private RuntimeException agentFailure(IOException e) {
        if (status() != MachineState.RUNNING) {
            String crash = crashMessage;
            if (crash != null) {
                return new GuestCrashedException(crash, e);
            }
            String why = lastStopReason;
            return new MachineNotRunningException("machine " + config.name() + " is " + state.name().toLowerCase()
                    + (why == null ? "" : " (" + why + ")") + "; the command was cut short ("
                    + Objects.requireNonNullElse(e.getMessage(), e.getClass().getSimpleName()) + ")");
        }
        return new AgentUnavailableException("lost the agent of machine " + config.name() + ": " + e.getMessage(), e);
    }

    /**
     * The running guest, or a clear error naming the state the machine is in. A paused machine
     * resumes: whoever holds a handle runs commands without minding a time to live that paused it.
     */
    private RunningGuest running() {
        if (status() == MachineState.PAUSED) {
            synchronized (this) {
                if (state == MachineState.PAUSED) {
                    resume(config.bootTimeout());
                    onStateChange.run();
                }
            }
        }
        MachineState current = status();
        RunningGuest running = guest;
        MachineLifecycle.require(config.name(), running == null ? MachineState.STOPPED : current, MachineLifecycle.Action.EXEC);
        return running;
    }

    /** Identity, state, resources, network and times, as of now. */
    @Override
    public MachineInfo info() {
        MachineState current = status();
        RunningGuest running = guest;
        boolean up = current == MachineState.RUNNING && running != null;
        return new MachineInfo(config.name(), current, config.cpus(), config.memoryMb(), config.diskMb(), config.mounts(),
                address(), up ? running.ports : List.of(), config.metadata(), createdAt,
                up ? Optional.of(running.startedAt) : Optional.empty(),
                up ? Optional.of(running.bootDuration) : Optional.empty(), Optional.ofNullable(lastStopReason), id);
    }

    /** Counters of the running machine since its last start. */
    @Override
    public MachineMetrics metrics(boolean wake) {
        if (!wake && status() == MachineState.PAUSED) {
            throw MachineNotRunningException.pausedMetrics(config.name());
        }
        return running().metrics();
    }

    /** Every later exec reads the env from the config, so the change needs nothing of a running guest. */
    @Override
    public synchronized void setEnv(Map<String, String> env) {
        MachineLifecycle.require(config.name(), status(), MachineLifecycle.Action.CONFIGURE);
        config = config.withEnv(env);
    }

    /**
     * Powers the guest off through its agent (which syncs its disks) and waits up to
     * {@code timeout}, then stops the VM forcibly. The machine keeps its disk and can
     * {@link #start()} again. Stopping a stopped machine does nothing.
     */
    @Override
    public void stop(Duration timeout) {
        stop(timeout, "stopped by the host");
    }

    private synchronized void stop(Duration timeout, String reason) {
        Objects.requireNonNull(timeout, "timeout");
        MachineLifecycle.require(config.name(), status(), MachineLifecycle.Action.STOP);
        if (state == MachineState.BOOTING) {
            cancelBoot(reason, timeout);
            return;
        }
        if (state == MachineState.PAUSED) {
            removePaused();   // what the guest had not synced to its disk goes with it
            state = MachineState.STOPPED;
            lastStopReason = reason + " while paused; its saved memory was dropped";
            return;
        }
        RunningGuest current = guest;
        if (current == null) {
            return;
        }
        state = MachineState.STOPPING;
        lastStopReason = reason;   // before the power-off, so a command it cuts short can say why
        cancelExpiry();
        current.powerOff(timeout);
        current.close();
        guest = null;
        state = MachineState.STOPPED;
    }

    /**
     * Cancels the boot in progress (its VM stops, its wait for the agent ends) and waits up to
     * {@code timeout} for {@link #start} to wind it down; the lock is free meanwhile.
     */
    private synchronized void cancelBoot(String reason, Duration timeout) {
        BootCancel current = booting;
        current.cancel(reason);
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (booting == current) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;   // the boot ends on its own shortly; start() then throws
                }
                wait(Math.max(1, left / 1_000_000));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops and starts the machine, keeping its disk. */
    @Override
    public void restart() {
        MachineLifecycle.require(config.name(), status(), MachineLifecycle.Action.RESTART);
        stop(STOP_TIMEOUT);
        start(config.bootTimeout());
    }

    private synchronized void cancelExpiry() {
        if (expiry != null) {
            expiry.cancel(false);
            expiry = null;
        }
    }

    /** Stops the machine if needed, releases everything it holds and removes its disk unless the config retains it. */
    @Override
    public synchronized void delete() {
        if (state == MachineState.DELETED) {
            return;
        }
        if (state == MachineState.BOOTING) {
            state = MachineState.DELETED;   // what the boot sees when it winds down
            cancelBoot("the machine was deleted", STOP_TIMEOUT);
        }
        cancelExpiry();
        RunningGuest current = guest;
        if (current != null) {
            if (config.retainDisk()) {
                current.powerOff(STOP_TIMEOUT);   // the guest syncs the disk that outlives it
            }
            current.close();
            guest = null;
        }
        state = MachineState.DELETED;
        SnapshotStore.release(id, config.name());   // before the directory that names the origin goes
        removePaused();
        disk.ifPresent(d -> {
            if (config.retainDisk()) {
                d.close();   // a retained overlay keeps its hold on the layer it reads
            } else {
                try {
                    DiskLayers.atHome().dropOverlay(d.overlay());
                    d.delete();
                } catch (IOException e) {
                    throw new FlintException("machine " + config.name() + " stopped but its disk could not be removed: "
                            + e.getMessage(), e);
                }
            }
        });
    }
}
