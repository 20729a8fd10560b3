package dev.flint.machine;

import dev.flint.agent.AgentClient;
import dev.flint.agent.Renewal;
import dev.flint.kernel.GuestImages;
import dev.flint.virtio.blk.BlockStore;
import dev.flint.virtio.blk.VirtioBlk;
import dev.flint.virtio.fs.ImageTreeFs;
import dev.flint.virtio.fs.VirtioFs;
import dev.flint.virtio.mmio.VirtioMmioAttacher;
import dev.flint.virtio.net.MacAddress;
import dev.flint.virtio.net.NetBackend;
import dev.flint.virtio.net.VirtioNet;
import dev.flint.virtio.net.VirtioNetStats;
import dev.flint.virtio.rng.VirtioRng;
import dev.flint.virtio.vsock.VirtioVsock;
import dev.flint.virtio.vsock.VsockUnixBridge;
import dev.flint.vmm.VirtualMachine;
import dev.flint.vmm.VmConfig;
import dev.flint.vmm.VmExit;
import dev.flint.vmm.VmmException;
import dev.flint.vmm.devices.DeviceAttacher;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One boot of a machine: the VM, its devices and the agent connection, from start to stop.
 * {@link Machine} holds one while it runs and makes a new one on every start.
 */
final class RunningGuest implements AutoCloseable {
    static final long GUEST_CID = 3;
    /**
     * How long an agent may send nothing, not even a ping's answer, while a call waits on it,
     * before the guest is taken for hung: far beyond any pause a loaded host gives a live guest.
     */
    static final Duration AGENT_SILENCE_LIMIT = Duration.ofSeconds(60);

    final VirtualMachine vm;
    final VirtioVsock vsock;
    final AgentClient agent;
    final Instant startedAt;
    final Duration bootDuration;
    /** The forwarded ports as bound: a host port 0 in the config reads as the port chosen. */
    final List<PortSpec> ports;
    /** The share every machine has: the trees of the images its commands run in, published as they are first used. */
    private final ImageTreeFs imageShare;
    private final List<AutoCloseable> devices;
    private final VsockUnixBridge bridge;

    private RunningGuest(VirtualMachine vm, VirtioVsock vsock, AgentClient agent, Instant startedAt,
                         Duration bootDuration, List<PortSpec> ports, ImageTreeFs imageShare, List<AutoCloseable> devices,
                         VsockUnixBridge bridge) {
        this.vm = vm;
        this.vsock = vsock;
        this.agent = agent;
        this.startedAt = startedAt;
        this.bootDuration = bootDuration;
        this.ports = ports;
        this.imageShare = imageShare;
        this.devices = devices;
        this.bridge = bridge;
    }

    /** The devices of one boot or restore, in attach order, and what the guest owns of them. */
    private record Devices(VirtioVsock vsock, ImageTreeFs imageShare, List<DeviceAttacher> attachers,
                           List<AutoCloseable> owned, List<PortSpec> ports) {
    }

    /**
     * Builds the machine's devices in their one order (vsock, rng, image share, own disk, extra
     * disks, mounts, network): a restore must attach the same kinds in the same slots as the boot
     * that was saved. On a failure releases what it opened.
     */
    private static Devices devices(MachineConfig config, Optional<MachineDisk> disk, MacAddress mac) {
        VirtioVsock vsock = new VirtioVsock(GUEST_CID);
        List<AutoCloseable> owned = new ArrayList<>();
        List<DeviceAttacher> attachers = new ArrayList<>(List.of(new VirtioMmioAttacher(vsock),
                new VirtioMmioAttacher(new VirtioRng())));
        try {
            ImageTreeFs imageShare = own(owned, VirtioFs.forImages(GuestCommandLine.IMAGE_SHARE_TAG));
            attachers.add(new VirtioMmioAttacher(imageShare));
            if (disk.isPresent()) {
                attachers.add(new VirtioMmioAttacher(own(owned, openOwnDisk(disk.get().image()))));
            }
            for (DiskSpec spec : config.disks()) {
                attachers.add(new VirtioMmioAttacher(own(owned, openDisk(spec.image(), spec.readOnly(), owned.size()))));
            }
            for (int i = 0; i < config.mounts().size(); i++) {
                attachers.add(new VirtioMmioAttacher(own(owned, openShare(config.mounts().get(i), i))));
            }
            List<PortSpec> ports = List.of();
            if (config.network().enabled()) {
                NetBackend backend = GuestNetwork.openBackend(config);   // closed by the VirtioNet that owns it
                ports = GuestNetwork.boundPorts(config, backend);
                attachers.add(new VirtioMmioAttacher(own(owned, new VirtioNet(mac, backend))));
            }
            return new Devices(vsock, imageShare, attachers, owned, ports);
        } catch (RuntimeException e) {
            closeAll(owned);
            throw e;
        }
    }

    private static VmConfig vmConfig(MachineConfig config, Optional<MachineDisk> disk, ConsoleLog console,
                                     Devices devices) {
        GuestImages.Images images = locateImages(config);
        String cmdline = GuestCommandLine.of(config, disk.map(MachineDisk::bootArgument).orElse(""));
        return new VmConfig(config.name(), config.kernel().orElse(images.vmlinux()),
                Optional.of(config.initrd().orElse(images.initramfs())), cmdline, config.memoryMb(), config.cpus(),
                console, devices.attachers());
    }

    /**
     * Boots and waits for the agent; on any failure releases what it made and says why. A
     * {@code cancel} (a stop during the boot) stops the VM, which ends the wait for the agent at once.
     */
    static RunningGuest boot(MachineConfig config, Optional<MachineDisk> disk, MacAddress mac, ConsoleLog console,
                             Duration bootTimeout, BootCancel cancel) {
        return launch(config, disk, mac, console, bootTimeout, cancel, null, Optional.empty());
    }

    /**
     * Restores the VM saved in {@code vmState} with the devices a boot of {@code config} has
     * (same MAC as the saved guest's), reconnects the agent (the host's vsock streams are new) and
     * renews the guest (clock, entropy, and the hostname when given) before any command runs.
     */
    static RunningGuest restore(MachineConfig config, Optional<MachineDisk> disk, MacAddress mac, ConsoleLog console,
                                Duration timeout, Path vmState, Optional<String> hostname) {
        return launch(config, disk, mac, console, timeout, new BootCancel(), vmState, hostname);
    }

    private static RunningGuest launch(MachineConfig config, Optional<MachineDisk> disk, MacAddress mac,
                                       ConsoleLog console, Duration bootTimeout, BootCancel cancel, Path vmState,
                                       Optional<String> hostname) {
        Instant startedAt = Instant.now();
        long start = System.nanoTime();
        Devices devices = devices(config, disk, mac);
        VirtioVsock vsock = devices.vsock();
        List<AutoCloseable> owned = devices.owned();
        VirtualMachine vm = null;
        try {
            VmConfig vmConfig = vmConfig(config, disk, console, devices);
            vm = vmState == null ? VirtualMachine.start(vmConfig) : VirtualMachine.restore(vmConfig, vmState);
            // However the VM ends, host streams (the agent's connect and hello among them) end with it.
            vm.whenEnded(exit -> vsock.muxer().resetAll("the guest's VM ended (" + exit + ")"));
            cancel.onCancel(vm::stop);
            AgentClient agent = connectAgent(config, vm, vsock, console, start, bootTimeout);
            // Every call waiting on the agent fails the moment the VM ends, crash or not.
            vm.whenEnded(exit -> agent.failAll(new IOException("the guest's VM ended (" + exit + ")")));
            // ...and when it still runs but its agent falls silent (a hung kernel, a starved vCPU).
            VirtualMachine running = vm;
            agent.watchLiveness(AGENT_SILENCE_LIMIT, () -> !running.paused());
            if (vmState != null) {
                agent.renew(Renewal.now(hostname));
            }
            Duration boot = Duration.ofNanos(System.nanoTime() - start);
            VsockUnixBridge bridge = config.vsockSocket().isPresent()
                    ? VsockUnixBridge.start(vsock.muxer(), config.vsockSocket().get()) : null;
            return new RunningGuest(vm, vsock, agent, startedAt, boot, devices.ports(), devices.imageShare(), owned, bridge);
        } catch (dev.flint.vmm.HostUnsupportedException e) {
            closeAll(owned);
            throw new HostUnsupportedException(e.getMessage(), e);
        } catch (VmmException e) {
            closeVm(vm);
            closeAll(owned);
            throw new FlintException("machine " + config.name() + " could not " + (vmState == null ? "start" : "be restored")
                    + ": " + e.getMessage(), e);
        } catch (IOException e) {
            closeVm(vm);
            closeAll(owned);
            throw new FlintException("machine " + config.name() + (vmState == null
                    ? " could not serve its vsock socket: " : " could not renew its guest after the restore: ")
                    + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closeVm(vm);
            closeAll(owned);
            throw new FlintException("interrupted while machine " + config.name() + " was restored", e);
        } catch (RuntimeException e) {
            closeVm(vm);
            closeAll(owned);
            throw e;
        }
    }

    private static <T extends AutoCloseable> T own(List<AutoCloseable> owned, T device) {
        owned.add(device);
        return device;
    }

    /** The machine's own disk, /dev/vda: a raw image, or an overlay over a frozen layer. */
    private static VirtioBlk openOwnDisk(Path image) {
        BlockStore store;
        try {
            store = MachineDisk.openStore(image);
        } catch (IOException e) {
            throw new FlintException("the machine's disk " + image + " cannot be opened: " + e.getMessage(), e);
        }
        return new VirtioBlk(store, false, "flint-vda");
    }

    private static VirtioBlk openDisk(Path image, boolean readOnly, int index) {
        try {
            return new VirtioBlk(image, readOnly, "flint-vd" + (char) ('a' + index));
        } catch (IOException e) {
            throw new InvalidConfigException("disk " + image + " cannot be opened: " + e.getMessage());
        }
    }

    private static VirtioFs openShare(MountSpec mount, int index) {
        try {
            return new VirtioFs(GuestCommandLine.mountTag(index), mount.source(), mount.readOnly());
        } catch (IOException | IllegalArgumentException e) {
            throw new InvalidConfigException("mount source " + mount.source() + " cannot be shared: " + e.getMessage());
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

    /**
     * Connects to the agent once it signals that it listens (a restored VM's agent signalled
     * before its snapshot, so that connect is at once); an agent that never signals is tried
     * once a second (see {@link AgentWait#FALLBACK_PERIOD}).
     */
    private static AgentClient connectAgent(MachineConfig config, VirtualMachine vm, VirtioVsock vsock,
                                            ConsoleLog console, long start, Duration bootTimeout) {
        AgentWait.Guest guest = new AgentWait.Guest() {
            @Override
            public boolean awaitAgentListening(Duration timeout) throws InterruptedException {
                return vm.awaitAgentListening(timeout);
            }

            @Override
            public VmExit exitIfEnded() {
                return vm.exitIfEnded();
            }

            @Override
            public AgentClient connect(Duration attempt, Duration hello) throws IOException, InterruptedException {
                return AgentClient.connect(vsock.muxer().connect(Machine.AGENT_PORT, attempt), hello);
            }
        };
        return new AgentWait(config.name(), console).connect(guest, start, bootTimeout);
    }

    /** Makes {@code rootfs} reachable in the guest under /.flint/images, once per boot. */
    void publish(ImageRootfs rootfs) {
        if (!imageShare.isPublished(rootfs.shareName())) {
            imageShare.publish(rootfs.shareName(), rootfs.tree());
        }
    }

    /** Counters since this boot (see {@link MachineMetrics}). */
    MachineMetrics metrics() {
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        long cpuNanos = vm.vcpuThreads().stream().mapToLong(thread -> Math.max(0, cpu.getThreadCpuTime(thread.threadId()))).sum();
        long resident = HostResidency.residentBytes(vm.memoryRegions().stream()
                .map(region -> new HostResidency.Range(region.host().address(), region.size())).toList());
        List<VirtioBlk> disks = devicesOf(VirtioBlk.class);
        VirtioNetStats net = devicesOf(VirtioNet.class).stream().map(VirtioNet::stats).findFirst()
                .orElse(new VirtioNetStats(0, 0, 0, 0, 0, 0, 0));
        long denied = devicesOf(VirtioNet.class).stream().mapToLong(n -> n.backend().stats().denied()).sum();
        return new MachineMetrics(Duration.ofNanos(cpuNanos), resident, vm.vcpuExits(), vsock.bytesToGuest(),
                vsock.bytesFromGuest(), disks.stream().mapToLong(VirtioBlk::bytesRead).sum(),
                disks.stream().mapToLong(VirtioBlk::bytesWritten).sum(), net.rxFrames(), net.txFrames(), denied);
    }

    /** The machine's own disk: attached before any extra disk ({@link #devices}), so the first block device. */
    VirtioBlk ownDisk() {
        return devicesOf(VirtioBlk.class).get(0);
    }

    private <T> List<T> devicesOf(Class<T> type) {
        return devices.stream().filter(type::isInstance).map(type::cast).toList();
    }

    /**
     * Asks the agent to power off and waits up to {@code timeout}; stops the VM forcibly after
     * that (its vCPUs are kicked out of KVM_RUN, spinning or not).
     */
    void powerOff(Duration timeout) {
        // Sent aside: a hung guest that takes no more bytes must not hold the stop past its timeout.
        Thread.ofVirtual().name("flint-" + vm.name() + "-poweroff").start(() -> {
            try {
                agent.powerOff();
            } catch (IOException | RuntimeException e) {
                // The VM is stopped below either way; its end resets the stream this write waits on.
            }
        });
        try {
            VmExit exit = vm.awaitExit(timeout);
            if (exit.reason() == VmExit.Reason.TIMEOUT) {
                vm.stop();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            vm.stop();
        }
    }

    /**
     * Pauses the VM and writes its snapshot (vCPU, VM and device state, memory) to {@code vmState};
     * the VM stays paused, for the caller to {@link #close} or {@link #resumeVm}.
     */
    void saveTo(Path vmState) {
        vm.pause();
        try {
            vm.snapshot(vmState);
        } catch (VmmException e) {
            throw new FlintException("machine " + vm.name() + " could not be saved to " + vmState + ": " + e.getMessage(), e);
        }
    }

    /** Lets a VM paused by {@link #saveTo} run on. */
    void resumeVm() {
        if (vm.paused()) {
            vm.resume();
        }
    }

    /** Releases the VM, its threads, fds, memory and devices; the disks' data stays on the host. */
    @Override
    public void close() {
        agent.close();
        if (bridge != null) {
            try {
                bridge.close();
            } catch (IOException e) {
                // The socket file is in the caller's directory; nothing else is left open.
            }
        }
        closeVm(vm);
        closeAll(devices);
    }

    private static void closeVm(VirtualMachine vm) {
        if (vm != null) {
            vm.close();
        }
    }

    private static void closeAll(List<AutoCloseable> devices) {
        for (AutoCloseable device : devices) {
            try {
                device.close();
            } catch (Exception e) {
                // Read-only use or already closed: nothing to flush.
            }
        }
    }
}
