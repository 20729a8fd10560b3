package dev.flint.machine.cli;

import dev.flint.machine.MachineConfig;
import dev.flint.machine.MountSpec;
import dev.flint.machine.NetworkPolicy;
import dev.flint.machine.PortSpec;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The machine options {@code flint run} and {@code flint create} share, applied to a config builder. */
final class MachineOptions {
    /** Their lines of the usage text, in the commands' column layout. */
    static final String USAGE = """
              --cpus N              vCPUs (default 1, at most this host's CPUs)
              --memory-mb N         guest memory in MiB (default 256, at least 64)
              --ttl SECONDS         time to live: the machine stops itself this long after each start
              --on-ttl stop|pause   what the time to live does: stop (default) or pause the machine
              --boot-timeout SECONDS  give up if the machine is not ready after this long (default 60)
              --disk FILE[:ro]      attach a raw disk image as /dev/vda, /dev/vdb... (repeatable)
              --disk-mb N           the machine's own sparse ext4 disk of N MiB, laid over its root:
                                    files written in the guest are kept across stop and start
              --keep-disk           keep that disk when the machine is deleted (a later machine of
                                    the same name finds its files); it lives in $FLINT_HOME/machines
              --rootfs DIR|IMAGE    boot an ext4 root built from DIR (or an ext4 image) instead of
                                    Flint's busybox root
              --mount SRC:DST[:ro]  share host directory SRC at guest path DST through virtio-fs
                                    (repeatable; :ro refuses every write in the guest)
              --port [ADDR:]HOST:GUEST[/udp]  forward host port HOST (0: any free one) to GUEST
                                    through the NAT; ADDR defaults to 127.0.0.1
              --network MODE        nat (default: user-mode NAT, no root needed), none, or tap:NAME
              --allow CIDR          let the guest reach only these networks (repeatable)
              --deny-all            let the guest reach nothing, DNS included
              --kernel FILE         boot this kernel (ELF vmlinux or bzImage) instead of Flint's;
                                    read whole first: a truncated or corrupt one exits 2
              --initrd FILE         boot this initramfs instead of Flint's (it must start Flint's agent)
            """;

    private final MachineConfig.Builder config;
    private String network = "nat";
    private final List<String> allowed = new ArrayList<>();
    private boolean denyAll;

    MachineOptions(MachineConfig.Builder config) {
        this.config = config;
    }

    /** Applies {@code option}, reading its value from {@code in}; false when it is not a machine option. */
    boolean apply(String option, Arguments in) throws UsageException {
        switch (option) {
            case "--cpus" -> config.cpus(in.intValue(option, 1, MachineConfig.MAX_CPUS));
            case "--memory-mb" -> config.memoryMb(in.intValue(option, MachineConfig.MIN_MEMORY_MB, MachineConfig.MAX_MEMORY_MB));
            case "--ttl" -> config.timeout(Duration.ofSeconds(in.intValue(option, 1, 86_400 * 365)));
            case "--on-ttl" -> {
                String action = in.value(option);
                switch (action) {
                    case "stop" -> config.onTimeout(dev.flint.machine.TimeoutAction.STOP);
                    case "pause" -> config.onTimeout(dev.flint.machine.TimeoutAction.PAUSE);
                    default -> throw new UsageException("--on-ttl takes stop or pause, got '" + action + "'");
                }
            }
            case "--boot-timeout" -> config.bootTimeout(Duration.ofSeconds(in.intValue(option, 1, 3_600)));
            case "--disk" -> {
                String disk = in.value(option);
                boolean readOnly = disk.endsWith(":ro");
                config.disk(Path.of(readOnly ? disk.substring(0, disk.length() - 3) : disk).toAbsolutePath(), readOnly);
            }
            case "--disk-mb" -> config.diskMb(in.intValue(option, MachineConfig.MIN_DISK_MB, MachineConfig.MAX_DISK_MB));
            case "--keep-disk" -> config.retainDisk(true);
            case "--rootfs" -> config.rootfs(Path.of(in.value(option)).toAbsolutePath());
            case "--mount" -> config.mount(parseMount(in.value(option)));
            case "--port" -> config.port(parsePort(in.value(option)));
            case "--network" -> network = in.value(option);
            case "--allow" -> allowed.add(in.value(option));
            case "--deny-all" -> denyAll = true;
            case "--kernel" -> config.kernel(in.existingFile(option).toAbsolutePath());
            case "--initrd" -> config.initrd(in.existingFile(option).toAbsolutePath());
            default -> {
                return false;
            }
        }
        return true;
    }

    /** Sets the network policy the options asked for; call once, after the last option. */
    MachineConfig.Builder finish() throws UsageException {
        return config.network(networkPolicy(network, allowed, denyAll));
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
