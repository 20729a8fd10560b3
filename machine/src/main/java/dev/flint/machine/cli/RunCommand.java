package dev.flint.machine.cli;

import dev.flint.machine.ExecOptions;
import dev.flint.machine.ExecResult;
import dev.flint.machine.ExecTimeoutException;
import dev.flint.machine.FlintException;
import dev.flint.machine.HostUnsupportedException;
import dev.flint.machine.InvalidConfigException;
import dev.flint.machine.Machine;
import dev.flint.machine.MachineConfig;
import dev.flint.machine.MountSpec;
import dev.flint.machine.NetworkPolicy;
import dev.flint.machine.PortSpec;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** {@code flint run}: boots a machine, runs one command in it, streams its output, exits with its code. */
final class RunCommand {
    static final String USAGE = """
            Usage: flint run [OPTIONS] -- COMMAND [ARGS...]

            Boots a microVM, runs COMMAND in it through Flint's guest agent, prints its stdout and
            stderr as they come, deletes the machine, and exits with COMMAND's exit code.

            Options:
              --cpus N              vCPUs (default 1)
              --memory-mb N         guest memory in MiB (default 256, at least 64)
              --env K=V             environment variable for COMMAND (repeatable)
              --workdir DIR         working directory in the guest (absolute; default /)
              --timeout SECONDS     kill COMMAND after this long and exit 124
              --ttl SECONDS         the machine's time to live: it stops itself after this long (exit 125)
              --boot-timeout SECONDS  give up if the machine is not ready after this long (default 60)
              --name NAME           machine name, also its hostname (default flint)
              --disk FILE[:ro]      attach a raw disk image as /dev/vda, /dev/vdb... (repeatable)
              --disk-mb N           give the machine its own sparse ext4 disk of N MiB, laid over its
                                    root: files written in the guest persist while the disk is kept
              --keep-disk           keep that disk after the run (a later run with the same --name
                                    finds its files); it lives under $FLINT_HOME/machines/NAME
              --rootfs DIR|IMAGE    boot an ext4 root built from DIR (or an ext4 image) instead of
                                    Flint's busybox root
              --mount SRC:DST[:ro]  share host directory SRC at guest path DST through virtio-fs
                                    (repeatable; :ro refuses every write in the guest)
              --port [ADDR:]HOST:GUEST[/udp]  forward host port HOST (0: any free one, printed on
                                    stderr) to GUEST through the NAT; ADDR defaults to 127.0.0.1
              --network MODE        nat (default: user-mode NAT, no root needed), none, or tap:NAME
              --allow CIDR          let the guest reach only these networks (repeatable)
              --deny-all            let the guest reach nothing, DNS included
              --console             copy the guest's serial console to stderr
              --timings             print boot and command times on stderr
              -h, --help            show this help

            Exit status: COMMAND's exit code; 128+N if a signal N killed it; 124 timeout;
            2 bad arguments; 3 this host cannot run machines; 125 the machine failed.
            """;

    static final int EXIT_MACHINE = 125;

    private RunCommand() {
    }

    record Options(MachineConfig config, ExecOptions exec, List<String> command, boolean console, boolean timings) {
    }

    static Options parse(List<String> args) throws UsageException {
        Arguments in = new Arguments(args);
        MachineConfig.Builder config = MachineConfig.builder();
        ExecOptions.Builder exec = ExecOptions.builder();
        List<String> command = new ArrayList<>();
        boolean console = false;
        boolean timings = false;
        String network = "nat";
        List<String> allowed = new ArrayList<>();
        boolean denyAll = false;
        try {
            while (in.hasNext()) {
                String option = in.next();
                if (option.equals("--")) {
                    while (in.hasNext()) {
                        command.add(in.next());
                    }
                    break;
                }
                switch (option) {
                    case "--cpus" -> config.cpus(in.intValue(option, 1, MachineConfig.MAX_CPUS));
                    case "--memory-mb" -> config.memoryMb(in.intValue(option, MachineConfig.MIN_MEMORY_MB, 1 << 20));
                    case "--env" -> {
                        String pair = in.value(option);
                        int eq = pair.indexOf('=');
                        if (eq <= 0) {
                            throw new UsageException("--env needs KEY=VALUE, got '" + pair + "'");
                        }
                        exec.env(pair.substring(0, eq), pair.substring(eq + 1));
                    }
                    case "--workdir" -> exec.workdir(in.value(option));
                    case "--timeout" -> exec.timeout(Duration.ofSeconds(in.intValue(option, 1, 86_400)));
                    case "--ttl" -> config.timeout(Duration.ofSeconds(in.intValue(option, 1, 86_400 * 365)));
                    case "--boot-timeout" -> config.bootTimeout(Duration.ofSeconds(in.intValue(option, 1, 3_600)));
                    case "--name" -> config.name(in.value(option));
                    case "--disk" -> {
                        String disk = in.value(option);
                        boolean readOnly = disk.endsWith(":ro");
                        config.disk(Path.of(readOnly ? disk.substring(0, disk.length() - 3) : disk), readOnly);
                    }
                    case "--disk-mb" -> config.diskMb(in.intValue(option, MachineConfig.MIN_DISK_MB,
                            MachineConfig.MAX_DISK_MB));
                    case "--keep-disk" -> config.retainDisk(true);
                    case "--rootfs" -> config.rootfs(Path.of(in.value(option)));
                    case "--mount" -> config.mount(parseMount(in.value(option)));
                    case "--port" -> config.port(parsePort(in.value(option)));
                    case "--network" -> network = in.value(option);
                    case "--allow" -> allowed.add(in.value(option));
                    case "--deny-all" -> denyAll = true;
                    case "--console" -> console = true;
                    case "--timings" -> timings = true;
                    default -> throw new UsageException("unknown option for run: " + option
                            + (option.startsWith("-") ? "" : " (put the command after --)"));
                }
            }
            if (command.isEmpty()) {
                throw new UsageException("run needs a command after --, e.g. flint run -- uname -a");
            }
            config.network(networkPolicy(network, allowed, denyAll));
            return new Options(config.build(), exec.build(), command, console, timings);
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

    static int run(Options options, PrintStream err) {
        OutputStream stdout = new FileOutputStream(FileDescriptor.out);
        OutputStream stderr = new FileOutputStream(FileDescriptor.err);
        long start = System.nanoTime();
        try (Machine machine = Machine.create(options.config(), options.console() ? stderr : null)) {
            long ready = System.nanoTime();
            for (PortSpec port : machine.ports()) {
                err.println("flint: forwarding " + port);
            }
            ExecResult result = machine.exec(options.command(), options.exec(), chunk -> write(stdout, chunk),
                    chunk -> write(stderr, chunk));
            if (options.timings()) {
                err.printf("flint: machine ready in %.1f ms, command took %.1f ms%n", (ready - start) / 1e6,
                        (System.nanoTime() - ready) / 1e6);
            }
            return result.signal() != 0 ? 128 + result.signal() : result.exitCode();
        } catch (ExecTimeoutException e) {
            err.println("flint: " + e.getMessage());
            return BootCommand.EXIT_TIMEOUT;
        } catch (HostUnsupportedException e) {
            err.println("flint: " + e.getMessage());
            return BootCommand.EXIT_HOST;
        } catch (FlintException e) {
            err.println("flint: " + e.getMessage());
            return EXIT_MACHINE;
        }
    }

    private static void write(OutputStream out, byte[] chunk) {
        try {
            out.write(chunk);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
