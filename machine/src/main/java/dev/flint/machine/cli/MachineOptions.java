package dev.flint.machine.cli;

import dev.flint.machine.InvalidConfigException;
import dev.flint.machine.MachineConfig;
import dev.flint.machine.MountSpec;
import dev.flint.machine.NetworkPolicy;
import dev.flint.machine.PortSpec;
import dev.flint.machine.TimeoutAction;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The machine options {@code flint run} and {@code flint create} share (a picocli mixin), applied to a config builder. */
final class MachineOptions {
    @Option(names = "--cpus", paramLabel = "N", description = "vCPUs (default 1, at most this host's CPUs)")
    private Integer cpus;
    @Option(names = "--memory-mb", paramLabel = "N", description = "guest memory in MiB (default 256, at least 64)")
    private Integer memoryMb;
    @Option(names = "--ttl", paramLabel = "SECONDS",
            description = "time to live: the machine stops itself this long after each start")
    private Integer ttl;
    @Option(names = "--on-ttl", paramLabel = "stop|pause",
            description = "what the time to live does: stop (default) or pause the machine")
    private String onTtl;
    @Option(names = "--boot-timeout", paramLabel = "SECONDS",
            description = "give up if the machine is not ready after this long (default 60)")
    private Integer bootTimeout;
    @Option(names = "--disk", paramLabel = "FILE[:ro]",
            description = "attach a raw disk image as /dev/vda, /dev/vdb... (repeatable)")
    private List<String> disks = new ArrayList<>();
    @Option(names = "--disk-mb", paramLabel = "N", description = "the machine's own sparse ext4 disk of N MiB, laid over"
            + " its root: files written in the guest are kept across stop and start")
    private Integer diskMb;
    @Option(names = "--keep-disk", description = "keep that disk when the machine is deleted (a later machine of the"
            + " same name finds its files); it lives in $FLINT_HOME/machines")
    private boolean keepDisk;
    @Option(names = "--rootfs", paramLabel = "DIR|IMAGE",
            description = "boot an ext4 root built from DIR (or an ext4 image) instead of Flint's busybox root")
    private Path rootfs;
    @Option(names = "--mount", paramLabel = "SRC:DST[:ro]", description = "share host directory SRC at guest path DST"
            + " through virtio-fs (repeatable; :ro refuses every write in the guest)")
    private List<String> mounts = new ArrayList<>();
    @Option(names = "--port", paramLabel = "[ADDR:]HOST:GUEST[/udp]", description = "forward host port HOST (0: any"
            + " free one) to GUEST through the NAT; ADDR defaults to 127.0.0.1")
    private List<String> ports = new ArrayList<>();
    @Option(names = "--network", paramLabel = "MODE",
            description = "nat (default: user-mode NAT, no root needed), none, or tap:NAME")
    private String network = "nat";
    @Option(names = "--allow", paramLabel = "CIDR", description = "let the guest reach only these networks (repeatable)")
    private List<String> allowed = new ArrayList<>();
    @Option(names = "--deny-all", description = "let the guest reach nothing, DNS included")
    private boolean denyAll;
    @Option(names = "--kernel", paramLabel = "FILE", description = "boot this kernel (ELF vmlinux or bzImage) instead of"
            + " Flint's; read whole first: a truncated or corrupt one exits 2")
    private Path kernel;
    @Option(names = "--initrd", paramLabel = "FILE",
            description = "boot this initramfs instead of Flint's (it must start Flint's agent)")
    private Path initrd;

    /** Sets every option given on {@code config}, the network policy last. */
    MachineConfig.Builder apply(MachineConfig.Builder config) throws UsageException {
        try {
            if (cpus != null) {
                config.cpus(OptionChecks.between("--cpus", cpus, 1, MachineConfig.MAX_CPUS));
            }
            if (memoryMb != null) {
                config.memoryMb(OptionChecks.between("--memory-mb", memoryMb, MachineConfig.MIN_MEMORY_MB,
                        MachineConfig.MAX_MEMORY_MB));
            }
            if (ttl != null) {
                config.timeout(Duration.ofSeconds(OptionChecks.between("--ttl", ttl, 1, 86_400 * 365)));
            }
            if (onTtl != null) {
                config.onTimeout(switch (onTtl) {
                    case "stop" -> TimeoutAction.STOP;
                    case "pause" -> TimeoutAction.PAUSE;
                    default -> throw new UsageException("--on-ttl takes stop or pause, got '" + onTtl + "'");
                });
            }
            if (bootTimeout != null) {
                config.bootTimeout(Duration.ofSeconds(OptionChecks.between("--boot-timeout", bootTimeout, 1, 3_600)));
            }
            for (String disk : disks) {
                boolean readOnly = disk.endsWith(":ro");
                config.disk(Path.of(readOnly ? disk.substring(0, disk.length() - 3) : disk).toAbsolutePath(), readOnly);
            }
            if (diskMb != null) {
                config.diskMb(OptionChecks.between("--disk-mb", diskMb, MachineConfig.MIN_DISK_MB, MachineConfig.MAX_DISK_MB));
            }
            if (keepDisk) {
                config.retainDisk(true);
            }
            if (rootfs != null) {
                config.rootfs(rootfs.toAbsolutePath());
            }
            for (String mount : mounts) {
                config.mount(parseMount(mount));
            }
            for (String port : ports) {
                config.port(parsePort(port));
            }
            if (kernel != null) {
                config.kernel(OptionChecks.existingFile("--kernel", kernel).toAbsolutePath());
            }
            if (initrd != null) {
                config.initrd(OptionChecks.existingFile("--initrd", initrd).toAbsolutePath());
            }
            return config.network(networkPolicy(network, allowed, denyAll));
        } catch (InvalidConfigException e) {
            throw new UsageException(e.getMessage());
        }
    }

    /** {@code [ADDR:]HOST:GUEST[/udp]}. */
    static PortSpec parsePort(String value) {
        boolean udp = value.endsWith("/udp");
        String spec = udp ? value.substring(0, value.length() - 4) : value.replaceFirst("/tcp$", "");
        return PortSpec.parse((udp ? "udp:" : "tcp:") + spec);
    }

    static NetworkPolicy networkPolicy(String mode, List<String> allowed, boolean denyAll) throws UsageException {
        if (denyAll && !allowed.isEmpty()) {
            throw new UsageException("--deny-all and --allow contradict each other; pick one");
        }
        NetworkPolicy policy = denyAll ? NetworkPolicy.denyAll()
                : allowed.isEmpty() ? NetworkPolicy.allowAll() : NetworkPolicy.allowOnly(allowed.toArray(String[]::new));
        if (mode.equals("nat")) {
            return policy;
        }
        if (mode.equals("none")) {
            if (denyAll || !allowed.isEmpty()) {
                throw new UsageException("--network none has no traffic to allow or deny; drop --allow/--deny-all");
            }
            return NetworkPolicy.none();
        }
        if (mode.startsWith("tap:")) {
            return policy.viaTap(mode.substring(4));
        }
        throw new UsageException("--network must be nat, none or tap:NAME, got '" + mode + "'");
    }

    /** {@code SRC:DST[:ro]}; SRC may not contain ':' (say so rather than guess where it ends). */
    static MountSpec parseMount(String value) throws UsageException {
        String[] parts = value.split(":", -1);
        if (parts.length < 2 || parts.length > 3 || parts[0].isEmpty() || (parts.length == 3 && !parts[2].equals("ro"))) {
            throw new UsageException("--mount needs SRC:DST or SRC:DST:ro (a host directory without ':' and an"
                    + " absolute guest path), got '" + value + "'");
        }
        return new MountSpec(Path.of(parts[0]), parts[1], parts.length == 3);
    }
}
