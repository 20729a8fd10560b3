package dev.flint.machine;

import dev.flint.agent.ExecHandle;
import dev.flint.agent.ExecRequest;
import dev.flint.agent.OutputListener;
import dev.flint.agent.ProcessResult;
import dev.flint.virtio.vsock.VsockMuxer;

import java.io.IOException;
import java.io.OutputStream;
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
 * A microVM running Flint's guest, with commands run in it through the guest agent over
 * virtio-vsock. {@link #create} returns once the agent answered; {@link #stop()} powers the
 * guest off and {@link #start()} boots it again with the same disk; {@link #close()} (or
 * {@link #delete()}) always releases the VM, its threads, fds and memory, and removes the
 * machine's disk unless the config retains it.
 *
 * <pre>{@code
 * try (Machine m = Machine.create(MachineConfig.builder().name("w1").cpus(1).memoryMb(256).build())) {
 *     m.exec(List.of("uname", "-a")).assertSuccess();
 * }
 * }</pre>
 *
 * <p>States: {@code create} ends RUNNING; {@code stop} RUNNING -> STOPPED; {@code start}
 * STOPPED -> RUNNING; a guest power-off or crash makes it STOPPED; {@code delete}/{@code close}
 * from any state -> DELETED, after which every call but {@code close} is an error.
 */
public final class Machine implements AutoCloseable {
    /** The vsock port Flint's agent listens on. */
    public static final int AGENT_PORT = 1024;
    private static final int CONSOLE_BYTES = 64 * 1024;
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    private final MachineConfig config;
    private final Optional<MachineDisk> disk;
    private final ConsoleLog console;
    private final Instant createdAt;
    private volatile RunningGuest guest;
    private volatile MachineState state = MachineState.STOPPED;
    private volatile String lastStopReason;
    private ScheduledFuture<?> expiry;

    private Machine(MachineConfig config, Optional<MachineDisk> disk, ConsoleLog console) {
        this.config = config;
        this.disk = disk;
        this.console = console;
        this.createdAt = Instant.now();
    }

    /** Boots a machine and waits for its agent; tears the VM down and says why if it does not come up. */
    public static Machine create(MachineConfig config) {
        return create(config, null);
    }

    /** As {@link #create(MachineConfig)}, copying the guest's console to {@code consoleCopy}. */
    public static Machine create(MachineConfig config, OutputStream consoleCopy) {
        Machine machine = define(config, consoleCopy);
        try {
            machine.start();
            return machine;
        } catch (RuntimeException e) {
            machine.disk.ifPresent(MachineDisk::close);
            throw e;
        }
    }

    /**
     * A machine that exists (its disk made and locked) but has not booted: {@link MachineState#STOPPED}
     * until {@link #start()}.
     */
    public static Machine define(MachineConfig config, OutputStream consoleCopy) {
        Objects.requireNonNull(config, "config");
        Optional<MachineDisk> disk = config.hasOwnDisk() ? Optional.of(MachineDisk.open(config)) : Optional.empty();
        return new Machine(config, disk, new ConsoleLog(CONSOLE_BYTES, consoleCopy));
    }

    /** Boots a stopped machine, with its disk as it was; waits for the agent up to the config's boot timeout. */
    public void start() {
        start(config.bootTimeout());
    }

    /** Boots a stopped machine and waits up to {@code bootTimeout} for its agent. */
    public synchronized void start(Duration bootTimeout) {
        Objects.requireNonNull(bootTimeout, "bootTimeout");
        if (bootTimeout.isNegative() || bootTimeout.isZero()) {
            throw new InvalidConfigException("bootTimeout must be positive, got " + bootTimeout);
        }
        MachineLifecycle.require(config.name(), status(), MachineLifecycle.Action.START);
        state = MachineState.BOOTING;
        try {
            guest = RunningGuest.boot(config, disk, console, bootTimeout);
            state = MachineState.RUNNING;
            lastStopReason = null;
            config.timeout().ifPresent(ttl -> expiry = Expiry.schedule(ttl, () -> expire(ttl)));
        } catch (RuntimeException e) {
            state = MachineState.STOPPED;
            lastStopReason = "boot failed: " + e.getMessage();
            throw e;
        }
    }

    private void expire(Duration ttl) {
        if (status() == MachineState.RUNNING) {
            stop(STOP_TIMEOUT, "its time to live of " + ttl.toSeconds() + " s ran out");
        }
    }

    public String name() {
        return config.name();
    }

    public MachineConfig config() {
        return config;
    }

    /** The machine's state; a guest that powered off or crashed reads as {@link MachineState#STOPPED}. */
    public MachineState status() {
        RunningGuest current = guest;
        if (state == MachineState.RUNNING && current != null && current.vm.exitIfEnded() != null) {
            synchronized (this) {
                if (guest == current && state == MachineState.RUNNING) {
                    guest = null;
                    state = MachineState.STOPPED;
                    lastStopReason = "the guest ended: " + current.vm.exitIfEnded();
                    cancelExpiry();
                    current.close();
                }
            }
        }
        return state;
    }

    /**
     * The machine's vsock, host side: {@code connect(port, timeout)} to a guest port, or
     * {@code listen(port, acceptor)} for guest connections to a host port, as byte channels.
     */
    public VsockMuxer vsock() {
        return running().vsock.muxer();
    }

    /** The forwarded ports as bound while the machine runs: a host port 0 in the config reads as the port chosen. */
    public List<PortSpec> ports() {
        return running().ports;
    }

    /** The guest's IPv4 address on its user-mode NAT network (10.0.2.15), when it has one. */
    public Optional<String> address() {
        NetworkPolicy network = config.network();
        return network.enabled() && network.tap().isEmpty()
                ? Optional.of(GuestNetwork.guestAddress().getHostAddress()) : Optional.empty();
    }

    /** Time from the last {@link #start} (or {@link #create}) to the agent's hello. */
    public Duration bootDuration() {
        return running().bootDuration;
    }

    public Instant createdAt() {
        return createdAt;
    }

    /** The last 64 KiB of the guest's serial console. */
    public String consoleLog() {
        return console.text();
    }

    /** Runs {@code argv} and waits for it to end. */
    public ExecResult exec(List<String> argv) {
        return exec(argv, ExecOptions.DEFAULT);
    }

    /** Runs {@code argv} with {@code options}; a timeout kills the process and throws {@link ExecTimeoutException}. */
    public ExecResult exec(List<String> argv, ExecOptions options) {
        try {
            return ExecResult.of(argv, running().agent.exec(request(argv, options)));
        } catch (dev.flint.agent.ExecTimeoutException e) {
            throw new ExecTimeoutException(argv, options.timeout().orElseThrow(), e);
        } catch (IOException e) {
            throw agentFailure(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FlintException("interrupted while running " + argv, e);
        }
    }

    /**
     * Runs {@code argv}, handing its output to {@code onStdout} and {@code onStderr} as it
     * arrives (on the agent connection's reader thread); the returned result carries the exit
     * status and no output.
     */
    public ExecResult exec(List<String> argv, ExecOptions options, Consumer<byte[]> onStdout, Consumer<byte[]> onStderr) {
        RunningGuest current = running();
        ExecRequest request = request(argv, options);
        try {
            ExecHandle handle = current.agent.start(request, new OutputListener() {
                @Override
                public void stdout(byte[] chunk) {
                    onStdout.accept(chunk);
                }

                @Override
                public void stderr(byte[] chunk) {
                    onStderr.accept(chunk);
                }
            });
            Duration limit = options.timeout().orElse(Duration.ofDays(365));
            ProcessResult result = handle.waitFor(limit.plusSeconds(5));
            if (result == null || (options.timeout().isPresent() && result.signal() == 9)) {
                if (result == null) {
                    handle.kill(9);
                }
                throw new ExecTimeoutException(argv, limit, null);
            }
            return ExecResult.of(argv, result);
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
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        env.put("HOME", "/root");
        env.putAll(config.env());
        env.putAll(options.env());
        ExecRequest.Builder request = ExecRequest.builder(argv).env(env);
        options.workdir().or(config::workdir).ifPresent(request::workdir);
        options.stdin().ifPresent(request::stdin);
        options.timeout().ifPresent(request::timeout);
        return request.build();
    }

    private RuntimeException agentFailure(IOException e) {
        if (status() != MachineState.RUNNING) {
            String why = lastStopReason;
            return new MachineNotRunningException("machine " + config.name() + " is " + state.name().toLowerCase()
                    + (why == null ? "" : " (" + why + ")") + "; the command was cut short ("
                    + Objects.requireNonNullElse(e.getMessage(), e.getClass().getSimpleName()) + ")");
        }
        return new AgentUnavailableException("lost the agent of machine " + config.name() + ": " + e.getMessage(), e);
    }

    /** The running guest, or a clear error naming the state the machine is in. */
    private RunningGuest running() {
        MachineState current = status();
        RunningGuest running = guest;
        MachineLifecycle.require(config.name(), running == null ? MachineState.STOPPED : current, MachineLifecycle.Action.EXEC);
        return running;
    }

    /**
     * Runs {@code command} in a login shell ({@code /bin/sh -l -c}): /etc/profile and the
     * machine's env apply, as in an interactive session.
     */
    public ExecResult shell(String command) {
        return shell(command, ExecOptions.DEFAULT);
    }

    public ExecResult shell(String command, ExecOptions options) {
        if (command == null || command.isBlank()) {
            throw new InvalidConfigException("shell needs a command, got " + (command == null ? "null" : "'" + command + "'"));
        }
        return exec(List.of("/bin/sh", "-l", "-c", command), options);
    }

    /** Identity, state, resources, network and times, as of now. */
    public MachineInfo info() {
        MachineState current = status();
        RunningGuest running = guest;
        boolean up = current == MachineState.RUNNING && running != null;
        return new MachineInfo(config.name(), current, config.cpus(), config.memoryMb(), config.diskMb(), config.mounts(),
                address(), up ? running.ports : List.of(), config.metadata(), createdAt,
                up ? Optional.of(running.startedAt) : Optional.empty(),
                up ? Optional.of(running.bootDuration) : Optional.empty(), Optional.ofNullable(lastStopReason));
    }

    /** Counters of the running machine since its last start. */
    public MachineMetrics metrics() {
        return running().metrics();
    }

    /**
     * Powers the guest off through its agent (which syncs its disks) and waits up to
     * {@code timeout}, then stops the VM forcibly. The machine keeps its disk and can
     * {@link #start()} again. Stopping a stopped machine does nothing.
     */
    public void stop(Duration timeout) {
        stop(timeout, "stopped by the host");
    }

    private synchronized void stop(Duration timeout, String reason) {
        Objects.requireNonNull(timeout, "timeout");
        MachineLifecycle.require(config.name(), status(), MachineLifecycle.Action.STOP);
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

    public void stop() {
        stop(STOP_TIMEOUT);
    }

    /** Stops and starts the machine, keeping its disk. */
    public synchronized void restart() {
        MachineLifecycle.require(config.name(), status(), MachineLifecycle.Action.RESTART);
        stop();
        start();
    }

    private synchronized void cancelExpiry() {
        if (expiry != null) {
            expiry.cancel(false);
            expiry = null;
        }
    }

    /** Stops the machine if needed, releases everything it holds and removes its disk unless the config retains it. */
    public synchronized void delete() {
        if (state == MachineState.DELETED) {
            return;
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
        disk.ifPresent(d -> {
            if (config.retainDisk()) {
                d.close();
            } else {
                try {
                    d.delete();
                } catch (IOException e) {
                    throw new FlintException("machine " + config.name() + " stopped but its disk could not be removed: "
                            + e.getMessage(), e);
                }
            }
        });
    }

    /** Same as {@link #delete()}; safe to call more than once. */
    @Override
    public void close() {
        delete();
    }
}
