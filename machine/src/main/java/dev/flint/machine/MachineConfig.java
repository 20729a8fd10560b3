package dev.flint.machine;

import dev.flint.agent.ExecLimits;
import dev.flint.image.ImageException;
import dev.flint.image.ImageReference;
import dev.flint.vmm.boot.BootFiles;
import dev.flint.vmm.boot.InvalidKernelException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What a machine is: name, vCPUs, memory, its own disk, host directories mounted into it,
 * machine-wide environment, boot timeout, and advanced overrides (kernel, initramfs, root file
 * system, extra kernel arguments). Built with {@link #builder()}, which validates every field
 * and says what is wrong.
 *
 * <p>{@code diskMb > 0} gives the machine a sparse ext4 disk of that size under its data
 * directory, laid over the guest's root as an overlay: everything written outside /tmp and /run
 * survives {@link Machine#stop()} and {@link Machine#start()}. {@code rootfs} boots an ext4 root
 * built from a host directory (or an ext4 image used as is) instead.
 *
 * <p>{@code snapshot} ({@link Builder#fromSnapshot}) makes the machine from a named snapshot
 * instead of booting it: it takes the snapshot's hardware (cpus, memory, disks, mounts, network,
 * kernel) and runs on from where the snapshot was taken, with this config's name (its new
 * hostname), env, metadata, workdir, ports and time to live.
 *
 * <p>{@code template} ({@link Builder#template}, {@link Builder#warmPool}) makes it from a
 * {@link Template} the same way: restored from the template's snapshot (or checked out of a warm
 * pool of such machines), or booted cold from the template's spec when the snapshot is gone.
 *
 * <pre>{@code
 * MachineConfig config = MachineConfig.builder()
 *         .name("build-1").cpus(2).memoryMb(1024)
 *         .diskMb(2048)                                   // a disk of its own: survives stop and start
 *         .mount(Path.of("/home/me/src"), "/workspace", false)
 *         .env("CI", "1")
 *         .network(NetworkPolicy.allowOnly("10.0.0.0/8"))
 *         .port(PortSpec.tcp(0, 8080))                    // any free host port, see Machine.ports()
 *         .build();                                       // InvalidConfigException names what is wrong
 * try (Machine m = Machine.create(config)) {
 *     m.shell("cd /workspace && make").assertSuccess();
 * }
 * }</pre>
 */
public record MachineConfig(String name, int cpus, int memoryMb, Map<String, String> env, Duration bootTimeout,
                            Optional<Path> kernel, Optional<Path> initrd, String bootArgs,
                            Optional<Path> vsockSocket, List<DiskSpec> disks, int diskMb, List<MountSpec> mounts,
                            Optional<Path> rootfs, boolean retainDisk, NetworkPolicy network, List<PortSpec> ports,
                            Optional<String> workdir, Map<String, String> metadata, Optional<Duration> timeout,
                            boolean startOnCreate, Optional<String> image, TimeoutAction onTimeout,
                            Optional<String> snapshot, Optional<TemplateUse> template) {
    /** The least memory a machine may have, in MiB. */
    public static final int MIN_MEMORY_MB = 64;
    /**
     * The most memory a machine may have, 1 TiB; {@link Builder#build()} also refuses more than
     * the host's physical memory (/proc/meminfo MemTotal), which a guest could never use.
     */
    public static final int MAX_MEMORY_MB = 1 << 20;
    /** The most vCPUs a machine may have. */
    public static final int MAX_CPUS = 254;
    /** MMIO slots left after vsock, rng, network and the image share, shared by the machine's disk, extra disks and mounts. */
    public static final int MAX_DISKS = 15;
    /** The smallest disk of its own ({@link Builder#diskMb}) a machine may have, in MiB. */
    public static final int MIN_DISK_MB = 16;
    /** The largest disk of its own ({@link Builder#diskMb}) a machine may have, in MiB (16 TiB). */
    public static final int MAX_DISK_MB = 16 * 1024 * 1024;
    /** The most metadata labels a machine may carry. */
    public static final int MAX_METADATA = 64;
    private static final String NAME_PATTERN = "[a-z0-9][a-z0-9-]{0,62}";
    private static final String METADATA_KEY = "[A-Za-z0-9][A-Za-z0-9._/-]{0,62}";
    private static final int MAX_METADATA_VALUE = 1024;

    /** Copies the collections: the record is immutable. */
    public MachineConfig {
        env = Map.copyOf(env);
        disks = List.copyOf(disks);
        mounts = List.copyOf(mounts);
        ports = List.copyOf(ports);
        metadata = Map.copyOf(metadata);
    }

    /** Whether the machine has a disk of its own (its root overlay or its rootfs image) as /dev/vda. */
    public boolean hasOwnDisk() {
        return diskMb > 0 || rootfs.isPresent();
    }

    /** A builder with the defaults: 1 vCPU, 256 MiB, 60 s boot timeout, network allowed, no disk. */
    public static Builder builder() {
        return new Builder();
    }

    /** Throws unless {@code name} is a valid machine name. */
    static String checkName(String name) {
        if (name == null || !name.matches(NAME_PATTERN)) {
            throw new InvalidConfigException("machine name must be 1-63 lowercase letters, digits or '-', starting"
                    + " with a letter or digit; got " + (name == null ? "null" : "'" + name + "'"));
        }
        return name;
    }

    /** This config under another name, every other field the same (a fork's clone). */
    MachineConfig renamed(String newName) {
        return new MachineConfig(checkName(newName), cpus, memoryMb, env, bootTimeout, kernel, initrd, bootArgs,
                Optional.empty(), disks, diskMb, mounts, rootfs, retainDisk, network, List.of(), workdir, metadata, timeout,
                startOnCreate, image, onTimeout, Optional.empty(), Optional.empty());
    }

    /** This config with metadata {@code key} set to {@code value} (how Flint records a warm pool checkout). */
    MachineConfig labelled(String key, String value) {
        Map<String, String> labels = new LinkedHashMap<>(metadata);
        labels.put(key, value);
        Builder.validateMetadata(labels);
        return new MachineConfig(name, cpus, memoryMb, env, bootTimeout, kernel, initrd, bootArgs, vsockSocket, disks,
                diskMb, mounts, rootfs, retainDisk, network, ports, workdir, labels, timeout, startOnCreate, image, onTimeout,
                snapshot, template);
    }

    /** This config with the machine-wide env {@code newEnv} (a template's env under the create's). */
    MachineConfig withEnv(Map<String, String> newEnv) {
        newEnv.forEach(MachineConfig::validateEnv);
        return new MachineConfig(name, cpus, memoryMb, newEnv, bootTimeout, kernel, initrd, bootArgs, vsockSocket, disks,
                diskMb, mounts, rootfs, retainDisk, network, ports, workdir, metadata, timeout, startOnCreate, image,
                onTimeout, snapshot, template);
    }

    /** Fluent, validating builder; defaults: 1 vCPU, 256 MiB, 60 s boot timeout. */
    public static final class Builder {
        private String name = "flint";
        private int cpus = 1;
        private int memoryMb = 256;
        private final Map<String, String> env = new LinkedHashMap<>();
        private Duration bootTimeout = Duration.ofSeconds(60);
        private Path kernel;
        private Path initrd;
        private String bootArgs = "";
        private Path vsockSocket;
        private final List<DiskSpec> disks = new ArrayList<>();
        private int diskMb;
        private final List<MountSpec> mounts = new ArrayList<>();
        private Path rootfs;
        private boolean retainDisk;
        private NetworkPolicy network = NetworkPolicy.allowAll();
        private final List<PortSpec> ports = new ArrayList<>();
        private String workdir;
        private final Map<String, String> metadata = new LinkedHashMap<>();
        private Duration timeout;
        private boolean startOnCreate = true;
        private String image;
        private TimeoutAction onTimeout = TimeoutAction.STOP;
        private String snapshot;
        private String template;
        private String pool;
        private WarmPoolMode poolMode = WarmPoolMode.BYPASS;
        private Duration poolWait = Duration.ZERO;

        private Builder() {
        }

        /** The machine's name (1-63 lowercase letters, digits or '-'), also its hostname; default {@code flint}. */
        public Builder name(String name) {
            this.name = name;
            return this;
        }

        /** The number of vCPUs (1-{@value MachineConfig#MAX_CPUS}); default 1. */
        public Builder cpus(int cpus) {
            this.cpus = cpus;
            return this;
        }

        /** The guest's memory in MiB (at least {@value MachineConfig#MIN_MEMORY_MB}); default 256. */
        public Builder memoryMb(int memoryMb) {
            this.memoryMb = memoryMb;
            return this;
        }

        /** Adds a variable every exec in the machine sees (an exec's own env wins). */
        public Builder env(String key, String value) {
            this.env.put(key, value);
            return this;
        }

        /** How long a start waits for the agent before it fails; default 60 s. */
        public Builder bootTimeout(Duration bootTimeout) {
            this.bootTimeout = bootTimeout;
            return this;
        }

        /**
         * Boots this kernel (ELF vmlinux or bzImage) instead of Flint's; {@link #build()} reads it
         * (and a given initramfs) whole and refuses one that is truncated, corrupt or too large for
         * the machine's memory.
         */
        public Builder kernel(Path kernel) {
            this.kernel = kernel;
            return this;
        }

        /** Boots this initramfs instead of Flint's; it must start Flint's agent. */
        public Builder initrd(Path initrd) {
            this.initrd = initrd;
            return this;
        }

        /** Extra kernel command-line arguments. */
        public Builder bootArgs(String bootArgs) {
            this.bootArgs = bootArgs;
            return this;
        }

        /**
         * Also serves the machine's vsock on this Unix socket, Firecracker style: clients send
         * {@code CONNECT <port>\n}; guest connections to host port P go to {@code <path>_P}.
         */
        public Builder vsockSocket(Path vsockSocket) {
            this.vsockSocket = vsockSocket;
            return this;
        }

        /** Adds a raw disk image (size a multiple of 512 bytes): /dev/vda, /dev/vdb... in order. */
        public Builder disk(Path image, boolean readOnly) {
            disks.add(new DiskSpec(image, readOnly));
            return this;
        }

        /** Gives the machine a persistent disk of {@code diskMb} MiB (created sparse); 0 (default) keeps its root in memory. */
        public Builder diskMb(int diskMb) {
            this.diskMb = diskMb;
            return this;
        }

        /** Shares a host directory into the guest at {@code target} (see {@link MountSpec}). */
        public Builder mount(MountSpec mount) {
            mounts.add(Objects.requireNonNull(mount, "mount"));
            return this;
        }

        /** Shares host directory {@code source} at guest path {@code target}, read-only if {@code readOnly}. */
        public Builder mount(Path source, String target, boolean readOnly) {
            return mount(new MountSpec(source, target, readOnly));
        }

        /**
         * Boots an ext4 root built from this host directory (its programs run, not Flint's
         * busybox), or this ext4 image file used as is. The directory is copied; the image is written.
         */
        public Builder rootfs(Path rootfs) {
            this.rootfs = rootfs;
            return this;
        }

        /** Keeps the machine's disk when it is deleted or closed, for a later machine of the same name. */
        public Builder retainDisk(boolean retainDisk) {
            this.retainDisk = retainDisk;
            return this;
        }

        /** The machine's network and egress policy; default {@link NetworkPolicy#allowAll()} through user-mode NAT. */
        public Builder network(NetworkPolicy network) {
            this.network = Objects.requireNonNull(network, "network");
            return this;
        }

        /** Forwards a host port to a guest port (user-mode NAT only). */
        public Builder port(PortSpec port) {
            ports.add(Objects.requireNonNull(port, "port"));
            return this;
        }

        /** Working directory of every exec and shell that names none (absolute guest path). */
        public Builder workdir(String workdir) {
            this.workdir = workdir;
            return this;
        }

        /** A label for finding the machine again (see {@code Machine.info()}); keys like {@code team} or {@code app.io/tier}. */
        public Builder metadata(String key, String value) {
            metadata.put(key, value);
            return this;
        }

        /** Time to live: the machine stops itself (or pauses, see {@link #onTimeout}) this long after each start. */
        public Builder timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        /** What the time to live does when it runs out: stop the machine (default) or {@link TimeoutAction#PAUSE} it. */
        public Builder onTimeout(TimeoutAction onTimeout) {
            this.onTimeout = Objects.requireNonNull(onTimeout, "onTimeout");
            return this;
        }

        /**
         * Makes the machine from snapshot {@code name} ({@link Machine#snapshot(String)}) rather than
         * booting it: the snapshot's hardware, this config's name, env, metadata, workdir, ports and
         * time to live. A missing snapshot is a {@link SnapshotNotFoundException} at create.
         */
        public Builder fromSnapshot(String name) {
            this.snapshot = SnapshotStore.checkName(name);
            return this;
        }

        /**
         * Makes the machine from template {@code name} ({@link Template#build}): restored from its
         * snapshot, or booted cold from its spec (setup commands included) when the snapshot is
         * gone. It has the template's hardware and disk; a larger {@link #diskMb} is refused at
         * create, and this config's name, env (over the template's), metadata, workdir, ports and
         * time to live. A missing template is a {@link TemplateNotFoundException} at create.
         */
        public Builder template(String name) {
            this.template = Template.checkName(name);
            return this;
        }

        /**
         * Takes the machine from warm pool {@code pool} ({@link WarmPool#create}) of this config's
         * {@link #template}: {@code mode} says what happens when none is ready within {@code wait}.
         * {@link MachineInfo#warmPoolCheckout()} tells which way it went.
         */
        public Builder warmPool(String pool, WarmPoolMode mode, Duration wait) {
            this.pool = WarmPool.checkName(pool);
            this.poolMode = Objects.requireNonNull(mode, "mode");
            this.poolWait = Objects.requireNonNull(wait, "wait");
            return this;
        }

        /**
         * Whether creating the machine also boots it (default). {@code false} makes a machine that
         * exists, {@link MachineState#STOPPED} with its disk made, until {@link Machine#start()}.
         */
        public Builder start(boolean startOnCreate) {
            this.startOnCreate = startOnCreate;
            return this;
        }

        /**
         * Every exec runs inside this OCI image ({@code python:3.12}, {@code localhost:5000/app@sha256:...}):
         * its files as the root, its Env, WorkingDir and User. The image is pulled when missing
         * before the machine boots; what the commands write is kept on the machine's disk when
         * it has one ({@link #diskMb}), else for as long as the machine runs.
         */
        public Builder image(String image) {
            this.image = image;
            return this;
        }

        /** The config, every field checked; an {@link InvalidConfigException} says what is wrong. */
        public MachineConfig build() {
            checkName(name);
            if (cpus < 1 || cpus > MAX_CPUS) {
                throw new InvalidConfigException("cpus must be between 1 and " + MAX_CPUS + ", got " + cpus);
            }
            int hostCpus = Runtime.getRuntime().availableProcessors();
            if (cpus > hostCpus) {
                throw new InvalidConfigException("cpus " + cpus + " is more than the " + hostCpus + " CPUs this host gives"
                        + " Flint; ask for " + hostCpus + " or fewer");
            }
            if (memoryMb < MIN_MEMORY_MB) {
                throw new InvalidConfigException("memoryMb must be at least " + MIN_MEMORY_MB + ", got " + memoryMb);
            }
            if (memoryMb > MAX_MEMORY_MB) {
                throw new InvalidConfigException("memoryMb must be at most " + MAX_MEMORY_MB + " (MAX_MEMORY_MB, 1 TiB), got "
                        + memoryMb);
            }
            long hostMb = HostMemory.totalMb();
            if (hostMb > 0 && memoryMb > hostMb) {
                throw new InvalidConfigException("memoryMb " + memoryMb + " is more than the " + hostMb + " MiB of physical"
                        + " memory this host has (/proc/meminfo MemTotal); ask for " + hostMb + " or less");
            }
            Objects.requireNonNull(bootTimeout, "bootTimeout");
            if (bootTimeout.isNegative() || bootTimeout.isZero()) {
                throw new InvalidConfigException("bootTimeout must be positive, got " + bootTimeout);
            }
            for (Map.Entry<String, String> variable : env.entrySet()) {
                validateEnv(variable.getKey(), variable.getValue());
            }
            withinLimits(() -> ExecLimits.checkEnv(env));   // it goes with every exec
            requireFile("kernel", kernel);
            requireFile("initrd", initrd);
            if (kernel != null) {
                requireBootable(kernel, initrd, memoryMb);
            }
            if (bootArgs == null || bootArgs.chars().anyMatch(c -> c < 0x20 || c > 0x7e)) {
                throw new InvalidConfigException("bootArgs must be printable ASCII");
            }
            if (vsockSocket != null && (Files.exists(vsockSocket) || !Files.isDirectory(vsockSocket.toAbsolutePath().getParent()))) {
                throw new InvalidConfigException("vsockSocket " + vsockSocket + " must be a new path in an existing directory");
            }
            for (DiskSpec disk : disks) {
                requireFile("disk", disk.image());
                if (!disk.readOnly() && !Files.isWritable(disk.image())) {
                    throw new InvalidConfigException("disk " + disk.image() + " is not writable; attach it read-only");
                }
            }
            if (diskMb != 0 && (diskMb < MIN_DISK_MB || diskMb > MAX_DISK_MB)) {
                throw new InvalidConfigException("diskMb must be 0 (no disk) or between " + MIN_DISK_MB + " and "
                        + MAX_DISK_MB + ", got " + diskMb);
            }
            if (rootfs != null && !Files.isDirectory(rootfs) && !Files.isRegularFile(rootfs)) {
                throw new InvalidConfigException("rootfs " + rootfs + " is neither a directory nor an ext4 image file");
            }
            if (rootfs != null && Files.isRegularFile(rootfs) && !Files.isWritable(rootfs)) {
                throw new InvalidConfigException("rootfs image " + rootfs + " is not writable");
            }
            Set<String> targets = new HashSet<>();
            for (MountSpec mount : mounts) {
                if (!targets.add(mount.target())) {
                    throw new InvalidConfigException("two mounts share the target " + mount.target()
                            + "; give each mount its own guest path");
                }
            }
            validateNetwork(network, ports);
            if (workdir != null && !workdir.startsWith("/")) {
                throw new InvalidConfigException("workdir must be an absolute guest path, got '" + workdir + "'");
            }
            if (workdir != null) {
                withinLimits(() -> ExecLimits.checkWorkdir(workdir));
            }
            validateMetadata(metadata);
            if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
                throw new InvalidConfigException("timeout (time to live) must be positive, got " + timeout);
            }
            int devices = disks.size() + mounts.size() + (diskMb > 0 || rootfs != null ? 1 : 0);
            if (devices > MAX_DISKS) {
                throw new InvalidConfigException("at most " + MAX_DISKS + " disks and mounts together (the machine's"
                        + " own disk counts), got " + devices);
            }
            if (image != null) {
                try {
                    image = ImageReference.parse(image).canonical();
                } catch (ImageException e) {
                    throw new InvalidConfigException("image: " + e.getMessage());
                }
                if (rootfs != null) {
                    throw new InvalidConfigException("image and rootfs both choose the machine's root; give one of them");
                }
            }
            if (pool != null && template == null) {
                throw new InvalidConfigException("warmPool " + pool + " needs the template its machines are made from;"
                        + " give template(name) too");
            }
            if (template != null && snapshot != null) {
                throw new InvalidConfigException("template and fromSnapshot both say what the machine is made from; give"
                        + " one of them");
            }
            if (poolWait.isNegative()) {
                throw new InvalidConfigException("the warm pool wait must be zero or positive, got " + poolWait);
            }
            Optional<TemplateUse> madeFrom = Optional.ofNullable(template)
                    .map(t -> new TemplateUse(t, Optional.ofNullable(pool), poolMode, poolWait));
            return new MachineConfig(name, cpus, memoryMb, env, bootTimeout, Optional.ofNullable(kernel),
                    Optional.ofNullable(initrd), bootArgs, Optional.ofNullable(vsockSocket), disks, diskMb, mounts,
                    Optional.ofNullable(rootfs), retainDisk, network, ports, Optional.ofNullable(workdir), metadata,
                    Optional.ofNullable(timeout), startOnCreate, Optional.ofNullable(image), onTimeout,
                    Optional.ofNullable(snapshot), madeFrom);
        }

        private static void validateMetadata(Map<String, String> metadata) {
            if (metadata.size() > MAX_METADATA) {
                throw new InvalidConfigException("at most " + MAX_METADATA + " metadata entries, got " + metadata.size());
            }
            for (Map.Entry<String, String> entry : metadata.entrySet()) {
                if (entry.getKey() == null || !entry.getKey().matches(METADATA_KEY)) {
                    throw new InvalidConfigException("metadata key must be 1-63 letters, digits or '._/-', starting with"
                            + " a letter or digit; got '" + entry.getKey() + "'");
                }
                if (entry.getValue() == null || entry.getValue().length() > MAX_METADATA_VALUE) {
                    throw new InvalidConfigException("metadata " + entry.getKey() + " needs a value of at most "
                            + MAX_METADATA_VALUE + " characters");
                }
            }
        }

        private static void validateNetwork(NetworkPolicy network, List<PortSpec> ports) {
            for (String cidr : network.allowedCidrs()) {
                try {
                    dev.flint.virtio.net.Cidr.parse(cidr);
                } catch (IllegalArgumentException e) {
                    throw new InvalidConfigException("network allow list: " + e.getMessage());
                }
            }
            if (!ports.isEmpty() && (!network.enabled() || network.tap().isPresent())) {
                throw new InvalidConfigException("ports are forwarded by the user-mode NAT; this machine has "
                        + (network.enabled() ? "a TAP network (forward on your bridge instead)" : "no network"));
            }
            Set<String> bound = new HashSet<>();
            for (PortSpec port : ports) {
                if (port.hostPort() != 0 && !bound.add(port.protocol() + " " + port.hostAddress() + ":" + port.hostPort())) {
                    throw new InvalidConfigException("two ports use host port " + port.hostPort() + " ("
                            + port.protocol().name().toLowerCase() + " on " + port.hostAddress() + "); give each its own, or 0");
                }
            }
        }

        /** A given kernel (and initramfs) is read whole and fits the memory now, not after the VM exists. */
        private static void requireBootable(Path kernel, Path initrd, int memoryMb) {
            try {
                BootFiles.check(kernel, Optional.ofNullable(initrd), (long) memoryMb << 20);
            } catch (InvalidKernelException | IOException e) {
                throw new InvalidConfigException(e.getMessage());
            }
        }

        private static void requireFile(String what, Path path) {
            if (path != null && !Files.isRegularFile(path)) {
                throw new InvalidConfigException(what + " " + path + " does not exist or is not a file");
            }
        }
    }

    /** Environment names are non-empty, without '=' or NUL; values without NUL. */
    static void validateEnv(String key, String value) {
        if (key == null || key.isEmpty() || key.indexOf('=') >= 0 || key.indexOf('\0') >= 0) {
            throw new InvalidConfigException("environment variable name must be non-empty without '=' or NUL, got '"
                    + key + "'");
        }
        if (value == null || value.indexOf('\0') >= 0) {
            throw new InvalidConfigException("environment variable " + key + " needs a value without NUL");
        }
        withinLimits(() -> ExecLimits.checkEnvEntry(key, value));
    }

    /** Runs one of {@link ExecLimits}' checks, its refusal as an {@link InvalidConfigException}. */
    static void withinLimits(Runnable check) {
        try {
            check.run();
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigException(e.getMessage());
        }
    }
}
