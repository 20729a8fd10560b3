package dev.flint.machine;

import dev.flint.virtio.vsock.VsockMuxer;

import dev.flint.image.ImageException;
import dev.flint.image.ImageReference;

import java.io.OutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A microVM running Flint's guest, with commands run in it through the guest agent over
 * virtio-vsock. A {@code Machine} is a handle: the VM runs in this JVM ({@link ConnectOptions#local()},
 * the default) or in a Flint server ({@link ConnectOptions#server}), and every call behaves the
 * same either way. {@link #create} returns once the agent answered (unless the config says
 * {@code start(false)}); {@link #stop()} powers the guest off and {@link #start()} boots it again
 * with the same disk; {@link #delete()} releases the VM, its threads, fds and memory, and removes
 * the machine's disk unless the config retains it.
 *
 * <p>Who made a machine owns it: {@link #close()} deletes a machine this handle created
 * ({@link #create}, {@link #fork}, a template or warm pool checkout), and only releases a handle
 * that {@link #connect} returned, so {@code try (Machine m = Machine.connect(id, server))} never
 * deletes a machine someone else made. {@link #delete()} deletes either way.
 *
 * <pre>{@code
 * try (Machine m = Machine.create(MachineConfig.builder().name("w1").cpus(1).memoryMb(256).build())) {
 *     m.exec(List.of("uname", "-a")).assertSuccess();
 * }
 * // the same against a server: Machine.create(config, ConnectOptions.server(uri, token))
 * }</pre>
 *
 * <p>Every machine has a stable {@link #id()} ({@code m-} and 16 base32 letters) beside its
 * unique {@link #name()}. States and the calls legal in each are in {@link MachineState}; an
 * illegal call is a {@link MachineStateException} (or {@link MachineNotRunningException} for
 * commands) that names the state and what to do.
 */
public final class Machine implements AutoCloseable {
    /** The vsock port Flint's agent listens on. */
    public static final int AGENT_PORT = 1024;
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    /** The most clones one {@link #fork} makes. */
    public static final int MAX_FORK = 64;

    private final MachineBackend backend;
    /** Whether {@link #close()} deletes the machine: this handle made it. */
    private final boolean owned;

    /** A handle on a machine it made: closing it deletes the machine. */
    Machine(MachineBackend backend) {
        this(backend, true);
    }

    private Machine(MachineBackend backend, boolean owned) {
        this.backend = backend;
        this.owned = owned;
    }

    /** A handle on a machine someone else made: closing it leaves the machine as it is. */
    static Machine attached(MachineBackend backend) {
        return new Machine(backend, false);
    }

    /** Creates a machine in this JVM and boots it (unless the config says {@code start(false)}); waits for its agent. */
    public static Machine create(MachineConfig config) {
        return create(config, (OutputStream) null);
    }

    /** As {@link #create(MachineConfig)}, copying the guest's console to {@code consoleCopy}. */
    public static Machine create(MachineConfig config, OutputStream consoleCopy) {
        Objects.requireNonNull(config, "config");
        return LocalEngine.inProcess().create(config, consoleCopy, config.startOnCreate());
    }

    /** Creates a machine where {@code options} say: in this JVM, or on a Flint server. */
    public static Machine create(MachineConfig config, ConnectOptions options) {
        Objects.requireNonNull(config, "config");
        return Engine.open(options).create(config);
    }

    /**
     * A machine in this JVM that exists (its disk made and locked) but has not booted:
     * {@link MachineState#STOPPED} until {@link #start()}. Same as creating with {@code start(false)}.
     */
    public static Machine define(MachineConfig config, OutputStream consoleCopy) {
        Objects.requireNonNull(config, "config");
        return LocalEngine.inProcess().create(config, consoleCopy, false);
    }

    /**
     * A handle on an existing machine, by id or by name: one that a server hosts (the usual
     * case: re-attach after the process that created it ended), or one in this JVM.
     *
     * @throws MachineNotFoundException if there is none
     */
    public static Machine connect(String idOrName, ConnectOptions options) {
        Machine machine = Engine.open(options).connect(idOrName);
        if (machine.status() == MachineState.PAUSED) {
            machine.resume();   // who connects means to use it; info() and list() read a paused machine as it is
        }
        return machine;
    }

    /** Identity, state and times of machine {@code idOrName}, read without waking it when paused. */
    public static MachineInfo info(String idOrName, ConnectOptions options) {
        return Engine.open(options).connect(idOrName).info();
    }

    /**
     * Counters of running machine {@code idOrName}; a paused machine is not woken for them but is
     * a {@link MachineNotRunningException} (its counters start again when it resumes).
     */
    public static MachineMetrics metrics(String idOrName, ConnectOptions options) {
        return Engine.open(options).connect(idOrName).backend.metrics(false);
    }

    /** Deletes machine {@code idOrName} without a handle, as {@link #delete()} does. */
    public static void delete(String idOrName, ConnectOptions options) {
        Engine.open(options).connect(idOrName).delete();
    }

    /** One page of the machines {@code query} selects, oldest first; {@link MachinePage#nextCursor()} fetches the next. */
    public static MachinePage list(MachineQuery query, ConnectOptions options) {
        return Engine.open(options).list(query);
    }

    /** The stable id, {@code m-} and 16 base32 letters; never reused. */
    public String id() {
        return backend.id();
    }

    /** The machine's unique name, also its guest's hostname. */
    public String name() {
        return backend.config().name();
    }

    /** The machine's config. */
    public MachineConfig config() {
        return backend.config();
    }

    /** The machine's state now; a guest that powered off, crashed or outlived its time to live reads as STOPPED. */
    public MachineState status() {
        return backend.status();
    }

    /** Boots a stopped machine, with its disk as it was; waits for the agent up to the config's boot timeout. */
    public void start() {
        start(backend.config().bootTimeout());
    }

    /** Boots a stopped machine and waits up to {@code bootTimeout} for its agent. */
    public void start(Duration bootTimeout) {
        Objects.requireNonNull(bootTimeout, "bootTimeout");
        if (bootTimeout.isNegative() || bootTimeout.isZero()) {
            throw new InvalidConfigException("bootTimeout must be positive, got " + bootTimeout);
        }
        backend.start(bootTimeout);
    }

    /**
     * Powers the guest off through its agent (which syncs its disks) and waits up to
     * {@code timeout}, then stops the VM forcibly. The machine keeps its disk and can
     * {@link #start()} again. Stopping a stopped machine does nothing.
     */
    public void stop(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new InvalidConfigException("stop timeout must not be negative, got " + timeout);
        }
        backend.stop(timeout);
    }

    /** As {@link #stop(Duration)}, waiting up to 10 seconds for the guest to power off. */
    public void stop() {
        stop(STOP_TIMEOUT);
    }

    /** Stops and starts the machine, keeping its disk. */
    public void restart() {
        backend.restart();
    }

    /**
     * Saves the running guest (memory, vCPUs, devices) under the machine's directory and releases
     * its VM (threads, fds, memory): {@link MachineState#PAUSED}, costing only disk, until
     * {@link #resume()}. A paused machine survives a restart of the server that hosts it. Any call
     * that needs the guest ({@link #exec}, {@link #run}, {@link #metrics}, {@link #connect})
     * resumes it first; {@link #info()} and {@link #status()} do not. {@link #stop()} of a paused
     * machine drops the saved memory (what the guest had not synced to its disk is lost).
     */
    public void pause() {
        backend.pause();
    }

    /**
     * Restores a paused machine as it was, with its clock set to now and fresh entropy given to
     * its RNG before any command runs; waits up to the config's boot timeout for its agent.
     */
    public void resume() {
        resume(backend.config().bootTimeout());
    }

    /** As {@link #resume()}, waiting up to {@code timeout} for the agent. */
    public void resume(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new InvalidConfigException("resume timeout must be positive, got " + timeout);
        }
        backend.resume(timeout);
    }

    /**
     * Saves the running machine as snapshot {@code name} (its memory, devices, config and its disk
     * as it is now); the machine pauses for as long as that takes, then runs on. A machine is made
     * from it with {@link MachineConfig.Builder#fromSnapshot}. Names follow machine names.
     *
     * @throws InvalidConfigException if the name is invalid or taken
     */
    public void snapshot(String name) {
        backend.snapshot(SnapshotStore.checkName(name));
    }

    /**
     * {@code count} running clones of this machine, named {@code NAME-fork-1}...: each its own id,
     * name, hostname and writable disk, all sharing this machine's memory copy-on-write (restored
     * from one snapshot of it, whose file the host caches once). This machine pauses for as long as
     * the save takes, then runs on. Clones forward no ports. A clone that cannot start undoes the fork.
     */
    public List<Machine> fork(int count) {
        if (count < 1 || count > MAX_FORK) {
            throw new InvalidConfigException("fork count must be between 1 and " + MAX_FORK + ", got " + count);
        }
        return fork(java.util.stream.IntStream.rangeClosed(1, count).mapToObj(k -> name() + "-fork-" + k).toList());
    }

    /** As {@link #fork(int)}, one clone for each of {@code names}. */
    public List<Machine> fork(List<String> names) {
        Objects.requireNonNull(names, "names");
        if (names.isEmpty() || names.size() > MAX_FORK) {
            throw new InvalidConfigException("fork needs 1 to " + MAX_FORK + " names, got " + names.size());
        }
        if (new java.util.HashSet<>(names).size() != names.size()) {
            throw new InvalidConfigException("fork names must differ, got " + names);
        }
        names.forEach(MachineConfig::checkName);
        return backend.fork(List.copyOf(names));
    }

    /** Stops the machine if needed, releases everything it holds and removes its disk unless the config retains it. */
    public void delete() {
        backend.delete();
    }

    /**
     * Deletes the machine if this handle made it ({@link #create}, {@link #fork}); a handle from
     * {@link #connect} only lets go, and the machine runs on. Safe to call more than once.
     */
    @Override
    public void close() {
        if (owned) {
            delete();
        }
    }

    /** Whether {@link #close()} deletes the machine (this handle made it) or only lets go of it. */
    public boolean ownsMachine() {
        return owned;
    }

    /**
     * Replaces the machine's own environment: every later exec, shell and {@link #run} sees it
     * (under an exec's own env), and it is kept with the machine, across stop and start and, on a
     * server, across server restarts.
     *
     * @throws InvalidConfigException if a name is not a valid variable name, or a value holds NUL
     */
    public void setEnv(java.util.Map<String, String> env) {
        Objects.requireNonNull(env, "env");
        backend.setEnv(config().withEnv(new java.util.LinkedHashMap<>(env)).env());
    }

    /** The machine's own environment ({@link #setEnv}), as it is now. */
    public java.util.Map<String, String> env() {
        return backend.env();
    }

    /**
     * The URL at which the caller reaches guest TCP port {@code guestPort}: its forwarded host
     * port on this host's loopback, or on the server's host for a machine a server hosts.
     *
     * @throws InvalidConfigException if the machine forwards no host port to {@code guestPort}
     */
    public java.net.URI url(int guestPort) {
        if (guestPort < 1 || guestPort > 65535) {
            throw new InvalidConfigException("guestPort must be 1-65535, got " + guestPort);
        }
        PortSpec port = ports().stream().filter(p -> p.guestPort() == guestPort).findFirst()
                .orElseThrow(() -> new InvalidConfigException("machine " + name() + " forwards no host port to guest port "
                        + guestPort + " (it forwards " + ports() + "); add one with MachineConfig ports"));
        return java.net.URI.create("http://" + backend.reachableHost(port) + ":" + port.hostPort() + "/");
    }

    /**
     * The running machine's files, without starting a process: write, read (whole or streamed),
     * list, stat, mkdirs, remove, and tree copies in and out. On a machine made from an OCI image
     * paths resolve inside the image's root. Each call checks the machine is running when made.
     *
     * <pre>{@code
     * m.files().write("/srv/app.conf", bytes);
     * try (InputStream log = m.files().readStream("/var/log/app.log")) { ... }
     * }</pre>
     */
    public MachineFiles files() {
        return backend.files();
    }

    /** Runs {@code argv} and waits for it to end. */
    public ExecResult exec(List<String> argv) {
        return exec(argv, ExecOptions.DEFAULT);
    }

    /** Runs {@code argv} with {@code options}; a timeout kills the process and throws {@link ExecTimeoutException}. */
    public ExecResult exec(List<String> argv, ExecOptions options) {
        return backend.exec(checked(argv), Objects.requireNonNull(options, "options"));
    }

    /**
     * Runs {@code argv}, handing its output to {@code onStdout} and {@code onStderr} as it
     * arrives (on a reader thread, not the caller's); the returned result carries the exit
     * status and no output.
     */
    public ExecResult exec(List<String> argv, ExecOptions options, Consumer<byte[]> onStdout, Consumer<byte[]> onStderr) {
        return backend.exec(checked(argv), Objects.requireNonNull(options, "options"),
                Objects.requireNonNull(onStdout, "onStdout"), Objects.requireNonNull(onStderr, "onStderr"));
    }

    /**
     * Runs {@code argv} in OCI image {@code image} ({@code python:3.12-alpine},
     * {@code localhost:5000/team/app:1}, {@code name@sha256:...}) and waits for it to end: the
     * image is pulled when missing, its files become the process's root with a fresh writable
     * layer, and its config applies as in {@code docker run} (Entrypoint, Cmd when argv is
     * empty, Env under the caller's, WorkingDir, User). The machine keeps running its own root.
     */
    public ExecResult run(String image, List<String> argv) {
        return run(image, argv, RunOptions.DEFAULT);
    }

    /** As {@link #run(String, List)}, with {@code options}: env, workdir, user, stdin, timeout, pull policy. */
    public ExecResult run(String image, List<String> argv, RunOptions options) {
        return backend.run(checkedImage(image), runArgv(argv), Objects.requireNonNull(options, "options"), null, null);
    }

    /** As {@link #run(String, List, RunOptions)}, handing the output to the consumers as it arrives. */
    public ExecResult run(String image, List<String> argv, RunOptions options, Consumer<byte[]> onStdout,
                          Consumer<byte[]> onStderr) {
        return backend.run(checkedImage(image), runArgv(argv), Objects.requireNonNull(options, "options"),
                Objects.requireNonNull(onStdout, "onStdout"), Objects.requireNonNull(onStderr, "onStderr"));
    }

    private static String checkedImage(String image) {
        try {
            return ImageReference.parse(Objects.requireNonNull(image, "image")).canonical();
        } catch (ImageException e) {
            throw new InvalidConfigException(e.getMessage());
        }
    }

    /** A run's argv: may be empty (the image's Entrypoint and Cmd then apply), within the protocol's limits. */
    private static List<String> runArgv(List<String> argv) {
        List<String> copy = List.copyOf(argv);
        MachineConfig.withinLimits(() -> dev.flint.agent.ExecLimits.checkArgv(copy));
        return copy;
    }

    private static List<String> checked(List<String> argv) {
        if (argv == null || argv.isEmpty() || argv.get(0) == null || argv.get(0).isEmpty()
                || argv.stream().anyMatch(Objects::isNull)) {
            throw new InvalidConfigException("exec needs a command: argv must be non-empty without nulls, got " + argv);
        }
        MachineConfig.withinLimits(() -> dev.flint.agent.ExecLimits.checkArgv(argv));
        return List.copyOf(argv);
    }

    /**
     * Runs {@code command} in a login shell ({@code /bin/sh -l -c}): /etc/profile and the
     * machine's env apply, as in an interactive session.
     */
    public ExecResult shell(String command) {
        return shell(command, ExecOptions.DEFAULT);
    }

    /** As {@link #shell(String)}, with {@code options}. */
    public ExecResult shell(String command, ExecOptions options) {
        if (command == null || command.isBlank()) {
            throw new InvalidConfigException("shell needs a command, got " + (command == null ? "null" : "'" + command + "'"));
        }
        return exec(List.of("/bin/sh", "-l", "-c", command), options);
    }

    /**
     * Starts {@code argv} on a pseudo-terminal of {@code rows} x {@code columns} (a login shell:
     * {@code List.of("/bin/sh", "-l")}), its output, one stream as a terminal has, handed to
     * {@code output} as it comes (on a reader thread). {@code TERM} is xterm-256color unless the
     * options or the machine's env set it. Only a machine in this JVM has one for now.
     */
    public TerminalSession openTerminal(List<String> argv, ExecOptions options, int rows, int columns,
                                        Consumer<byte[]> output) {
        dev.flint.agent.TerminalSize size = TerminalSession.size(rows, columns);
        return backend.openTerminal(checked(argv), Objects.requireNonNull(options, "options"), size,
                Objects.requireNonNull(output, "output"));
    }

    /**
     * Runs {@code argv} on a terminal as {@link #openTerminal} does, typing what {@code input}
     * gives (on a thread of its own, which ends with the input or the JVM) and writing its output
     * to {@code output}; returns once the command ends.
     */
    public ExecResult execInteractive(List<String> argv, ExecOptions options, java.io.InputStream input,
                                      OutputStream output, int rows, int columns) {
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(output, "output");
        try (TerminalSession session = openTerminal(argv, options, rows, columns, chunk -> {
            try {
                output.write(chunk);
                output.flush();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        })) {
            Thread typing = Thread.ofVirtual().name("flint-terminal-input").start(() -> {
                byte[] buffer = new byte[4096];
                try {
                    for (int n; (n = input.read(buffer)) > 0; ) {
                        session.write(java.util.Arrays.copyOf(buffer, n));
                    }
                } catch (java.io.IOException | FlintException e) {
                    // the input ended, or the command did: nothing more to type
                }
            });
            ExecResult result = session.waitFor();
            typing.interrupt();
            return result;
        }
    }

    /** Identity, state, resources, network and times, as of now. */
    public MachineInfo info() {
        return backend.info();
    }

    /** Counters of the running machine since its last start. */
    public MachineMetrics metrics() {
        return backend.metrics(true);
    }

    /** The last 64 KiB of the guest's serial console. */
    public String consoleLog() {
        return backend.consoleLog();
    }

    /**
     * The machine's vsock, host side: {@code connect(port, timeout)} to a guest port, or
     * {@code listen(port, acceptor)} for guest connections to a host port, as byte channels.
     * Only a machine in this JVM has one; a server's machine says so.
     */
    public VsockMuxer vsock() {
        return backend.vsock();
    }

    /** The forwarded ports as bound while the machine runs: a host port 0 in the config reads as the port chosen. */
    public List<PortSpec> ports() {
        return runningInfo().ports();
    }

    /** The guest's IPv4 address on its user-mode NAT network (10.0.2.15), when it has one. */
    public Optional<String> address() {
        return info().address();
    }

    /** Time from the last {@link #start} (or {@link #create}) to the agent's hello. */
    public Duration bootDuration() {
        return runningInfo().bootDuration().orElseThrow();
    }

    /** When the machine was created. */
    public Instant createdAt() {
        return info().createdAt();
    }

    private MachineInfo runningInfo() {
        MachineInfo info = info();
        MachineLifecycle.require(info.name(), info.state(), MachineLifecycle.Action.EXEC);
        return info;
    }

    @Override
    public String toString() {
        return "Machine[" + id() + " " + name() + "]";
    }
}
