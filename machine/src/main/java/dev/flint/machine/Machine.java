package dev.flint.machine;

import dev.flint.agent.AgentClient;
import dev.flint.agent.ExecHandle;
import dev.flint.agent.ExecRequest;
import dev.flint.agent.OutputListener;
import dev.flint.agent.ProcessResult;
import dev.flint.kernel.GuestImages;
import dev.flint.virtio.mmio.VirtioMmioAttacher;
import dev.flint.virtio.blk.VirtioBlk;
import dev.flint.virtio.rng.VirtioRng;
import dev.flint.virtio.vsock.VirtioVsock;
import dev.flint.virtio.vsock.VsockMuxer;
import dev.flint.virtio.vsock.VsockUnixBridge;
import dev.flint.virtio.vsock.VsockStream;
import dev.flint.vmm.VirtualMachine;
import dev.flint.vmm.VmConfig;
import dev.flint.vmm.VmExit;
import dev.flint.vmm.VmmException;
import dev.flint.vmm.devices.DeviceAttacher;

import java.io.IOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A microVM running Flint's guest, with commands run in it through the guest agent over
 * virtio-vsock. {@link #create} returns once the agent answered; {@link #close()} always
 * releases the VM, its threads, fds and memory.
 *
 * <pre>{@code
 * try (Machine m = Machine.create(MachineConfig.builder().name("w1").cpus(1).memoryMb(256).build())) {
 *     m.exec(List.of("uname", "-a")).assertSuccess();
 * }
 * }</pre>
 */
public final class Machine implements AutoCloseable {
    /** The vsock port Flint's agent listens on. */
    public static final int AGENT_PORT = 1024;
    static final long GUEST_CID = 3;
    private static final Duration RETRY_PAUSE = Duration.ofMillis(20);
    /** Each connect attempt waits at most this long, so a guest that died is noticed. */
    private static final Duration CONNECT_ATTEMPT = Duration.ofSeconds(2);
    static final String AGENT_PATH = "/bin/flint-agent";
    private static final int CONSOLE_BYTES = 64 * 1024;

    private final MachineConfig config;
    private final VirtualMachine vm;
    private final VirtioVsock vsock;
    private final VsockUnixBridge bridge;
    private final List<VirtioBlk> disks;
    private final ConsoleLog console;
    private final Instant createdAt;
    private final Duration bootDuration;
    private volatile AgentClient agent;
    private volatile MachineState state = MachineState.BOOTING;

    private Machine(MachineConfig config, VirtualMachine vm, VirtioVsock vsock, VsockUnixBridge bridge,
                    List<VirtioBlk> disks, ConsoleLog console, Instant createdAt, Duration bootDuration, AgentClient agent) {
        this.config = config;
        this.vm = vm;
        this.vsock = vsock;
        this.bridge = bridge;
        this.disks = disks;
        this.console = console;
        this.createdAt = createdAt;
        this.bootDuration = bootDuration;
        this.agent = agent;
        this.state = MachineState.RUNNING;
    }

    /** Boots a machine and waits for its agent; tears the VM down and says why if it does not come up. */
    public static Machine create(MachineConfig config) {
        return create(config, null);
    }

    /** As {@link #create(MachineConfig)}, copying the guest's console to {@code consoleCopy}. */
    public static Machine create(MachineConfig config, OutputStream consoleCopy) {
        Instant createdAt = Instant.now();
        long start = System.nanoTime();
        GuestImages.Images images = locateImages(config);
        ConsoleLog console = new ConsoleLog(CONSOLE_BYTES, consoleCopy);
        VirtioVsock vsock = new VirtioVsock(GUEST_CID);
        String cmdline = VirtualMachine.BASE_CMDLINE + " quiet rdinit=" + AGENT_PATH + " flint.hostname=" + config.name()
                + (config.kernelArgs().isEmpty() ? "" : " " + config.kernelArgs());
        List<VirtioBlk> disks = openDisks(config);
        List<DeviceAttacher> devices = new ArrayList<>(List.of(new VirtioMmioAttacher(vsock),
                new VirtioMmioAttacher(new VirtioRng())));
        disks.forEach(disk -> devices.add(new VirtioMmioAttacher(disk)));
        VirtualMachine vm;
        try {
            vm = VirtualMachine.start(new VmConfig(config.name(), config.kernel().orElse(images.vmlinux()),
                    Optional.of(config.initrd().orElse(images.initramfs())), cmdline, config.memoryMb(), config.cpus(),
                    console, devices));
        } catch (dev.flint.vmm.HostUnsupportedException e) {
            closeAll(disks);
            throw new HostUnsupportedException(e.getMessage(), e);
        } catch (VmmException e) {
            closeAll(disks);
            throw new FlintException("machine " + config.name() + " could not start: " + e.getMessage(), e);
        }
        VsockUnixBridge bridge = null;
        try {
            AgentClient agent = connectAgent(config, vm, vsock, console, start);
            Duration boot = Duration.ofNanos(System.nanoTime() - start);
            if (config.vsockSocket().isPresent()) {
                bridge = VsockUnixBridge.start(vsock.muxer(), config.vsockSocket().get());
            }
            return new Machine(config, vm, vsock, bridge, disks, console, createdAt, boot, agent);
        } catch (IOException e) {
            vm.close();
            closeAll(disks);
            throw new FlintException("machine " + config.name() + " could not serve its vsock socket: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            vm.close();
            closeAll(disks);
            throw e;
        }
    }

    private static List<VirtioBlk> openDisks(MachineConfig config) {
        List<VirtioBlk> disks = new ArrayList<>();
        for (DiskSpec disk : config.disks()) {
            try {
                disks.add(new VirtioBlk(disk.image(), disk.readOnly(), "flint-vd" + (char) ('a' + disks.size())));
            } catch (IOException e) {
                closeAll(disks);
                throw new InvalidConfigException(e.getMessage());
            }
        }
        return disks;
    }

    private static void closeAll(List<VirtioBlk> disks) {
        for (VirtioBlk disk : disks) {
            try {
                disk.close();
            } catch (IOException e) {
                // Read-only use or already closed: nothing to flush.
            }
        }
    }

    private static GuestImages.Images locateImages(MachineConfig config) {
        if (config.kernel().isPresent() && config.initrd().isPresent()) {
            Path kernel = config.kernel().get();
            return new GuestImages.Images(kernel, kernel, config.initrd().get());
        }
        try {
            return GuestImages.locate();
        } catch (IllegalStateException e) {
            throw new InvalidConfigException(e.getMessage());
        }
    }

    /** Connects to the agent, retrying while the guest boots (a refused connect means "not listening yet"). */
    private static AgentClient connectAgent(MachineConfig config, VirtualMachine vm, VirtioVsock vsock,
                                            ConsoleLog console, long start) {
        long deadline = start + config.bootTimeout().toNanos();
        IOException last = null;
        while (System.nanoTime() < deadline) {
            VmExit exit = vm.exitIfEnded();
            if (exit != null) {
                throw new AgentUnavailableException("machine " + config.name() + " stopped while booting (" + exit
                        + "); last console lines:\n" + console.tail(20), null);
            }
            Duration left = Duration.ofNanos(deadline - System.nanoTime());
            Duration attempt = left.compareTo(CONNECT_ATTEMPT) < 0 ? left : CONNECT_ATTEMPT;
            try {
                VsockStream stream = vsock.muxer().connect(AGENT_PORT, attempt);
                return AgentClient.connect(stream, Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            } catch (ConnectException e) {
                last = e;
                sleep(RETRY_PAUSE);
            } catch (IOException e) {
                last = e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AgentUnavailableException("interrupted while machine " + config.name() + " booted", e);
            }
        }
        throw new AgentUnavailableException("the agent of machine " + config.name() + " did not answer within "
                + config.bootTimeout().toSeconds() + " s" + (last == null ? "" : " (" + last.getMessage() + ")")
                + "; give it a longer bootTimeout, or check the console:\n" + console.tail(20), last);
    }

    private static void sleep(Duration pause) {
        try {
            Thread.sleep(pause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public String name() {
        return config.name();
    }

    public MachineConfig config() {
        return config;
    }

    /** {@link MachineState#RUNNING} until the guest stops or the machine is closed. */
    public MachineState status() {
        if (state == MachineState.RUNNING && vm.exitIfEnded() != null) {
            state = MachineState.STOPPED;
        }
        return state;
    }

    /**
     * The machine's vsock, host side: {@code connect(port, timeout)} to a guest port, or
     * {@code listen(port, acceptor)} for guest connections to a host port, as byte channels.
     */
    public VsockMuxer vsock() {
        return vsock.muxer();
    }

    /** Time from {@link #create} to the agent's hello. */
    public Duration bootDuration() {
        return bootDuration;
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
        requireRunning();
        try {
            return ExecResult.of(argv, agent.exec(request(argv, options)));
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
        requireRunning();
        ExecRequest request = request(argv, options);
        try {
            ExecHandle handle = agent.start(request, new OutputListener() {
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
        options.workdir().ifPresent(request::workdir);
        options.stdin().ifPresent(request::stdin);
        options.timeout().ifPresent(request::timeout);
        return request.build();
    }

    private RuntimeException agentFailure(IOException e) {
        if (status() != MachineState.RUNNING) {
            return new MachineNotRunningException("machine " + config.name() + " is " + state.name().toLowerCase()
                    + ": " + e.getMessage());
        }
        return new AgentUnavailableException("lost the agent of machine " + config.name() + ": " + e.getMessage(), e);
    }

    private void requireRunning() {
        MachineState current = status();
        if (current != MachineState.RUNNING) {
            throw new MachineNotRunningException("machine " + config.name() + " is " + current.name().toLowerCase()
                    + "; create a new one to run commands");
        }
    }

    /**
     * Powers the guest off through its agent and waits up to {@code timeout}; stops the VM
     * forcibly after that. The machine can then only be closed.
     */
    public void stop(Duration timeout) {
        if (state != MachineState.RUNNING) {
            return;
        }
        try {
            agent.powerOff();
        } catch (IOException | RuntimeException e) {
            // The VM is stopped below either way.
        }
        try {
            VmExit exit = vm.awaitExit(timeout);
            if (exit.reason() == VmExit.Reason.TIMEOUT) {
                vm.stop();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            vm.stop();
        }
        state = MachineState.STOPPED;
    }

    public void stop() {
        stop(Duration.ofSeconds(10));
    }

    /** Stops the machine if needed and releases everything it holds. */
    public void delete() {
        close();
    }

    /** Releases the VM, its threads, fds and memory; safe to call more than once. */
    @Override
    public void close() {
        if (state == MachineState.DELETED) {
            return;
        }
        AgentClient client = agent;
        if (client != null) {
            client.close();
        }
        if (bridge != null) {
            try {
                bridge.close();
            } catch (IOException e) {
                // The socket file is in the caller's directory; nothing else is left open.
            }
        }
        vm.close();
        closeAll(disks);
        state = MachineState.DELETED;
    }
}
