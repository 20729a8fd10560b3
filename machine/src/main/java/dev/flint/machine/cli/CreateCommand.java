package dev.flint.machine.cli;

import dev.flint.machine.ConnectOptions;
import dev.flint.machine.FlintException;
import dev.flint.machine.InvalidConfigException;
import dev.flint.machine.Machine;
import dev.flint.machine.MachineConfig;
import dev.flint.machine.wire.MachineJson;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** {@code flint create NAME}: makes a machine in the server, boots it unless told not to, prints its id. */
final class CreateCommand {
    static final String USAGE = """
            Usage: flint create NAME [OPTIONS]

            Creates machine NAME in the Flint server and boots it (unless --no-start); prints its id.
            The machine keeps running after this command ends: use exec, shell, stop, delete on it.

            Options:
              --cpus N              vCPUs (default 1)
              --memory-mb N         guest memory in MiB (default 256, at least 64)
              --env K=V             environment of every command in the machine (repeatable)
              --workdir DIR         default working directory of every command (absolute)
              --metadata K=V        a label to find the machine by (repeatable; ls --metadata)
              --ttl SECONDS         time to live: the machine stops itself this long after each start
              --boot-timeout SECONDS  give up if the machine is not ready after this long (default 60)
              --boot-args STRING    extra kernel command-line arguments
              --disk FILE[:ro]      attach a raw disk image (repeatable)
              --disk-mb N           its own sparse ext4 disk of N MiB, kept across stop and start
              --keep-disk           keep that disk when the machine is deleted
              --rootfs DIR|IMAGE    boot an ext4 root built from DIR (or an ext4 image)
              --mount SRC:DST[:ro]  share host directory SRC at guest path DST (repeatable)
              --port [ADDR:]HOST:GUEST[/udp]  forward a host port to a guest port
              --network MODE        nat (default), none, or tap:NAME
              --allow CIDR          let the guest reach only these networks (repeatable)
              --deny-all            let the guest reach nothing, DNS included
              --no-start            create it stopped; 'flint start NAME' boots it
              --json                print the machine's info as JSON instead of its id
            """ + ServerTarget.OPTIONS_TEXT + """
              -h, --help            show this help

            """ + ExitCodes.TEXT;

    record Options(MachineConfig config, boolean json) {
    }

    private CreateCommand() {
    }

    static Options parse(List<String> args) throws UsageException {
        Arguments in = new Arguments(args);
        MachineConfig.Builder config = MachineConfig.builder();
        boolean json = false;
        String name = null;
        String network = "nat";
        List<String> allowed = new ArrayList<>();
        boolean denyAll = false;
        try {
            while (in.hasNext()) {
                String option = in.next();
                switch (option) {
                    case "--cpus" -> config.cpus(in.intValue(option, 1, MachineConfig.MAX_CPUS));
                    case "--memory-mb" -> config.memoryMb(in.intValue(option, MachineConfig.MIN_MEMORY_MB, 1 << 20));
                    case "--env" -> {
                        String[] pair = keyValue(option, in.value(option));
                        config.env(pair[0], pair[1]);
                    }
                    case "--workdir" -> config.workdir(in.value(option));
                    case "--metadata" -> {
                        String[] pair = keyValue(option, in.value(option));
                        config.metadata(pair[0], pair[1]);
                    }
                    case "--ttl" -> config.timeout(Duration.ofSeconds(in.intValue(option, 1, 86_400 * 365)));
                    case "--boot-timeout" -> config.bootTimeout(Duration.ofSeconds(in.intValue(option, 1, 3_600)));
                    case "--boot-args" -> config.bootArgs(in.value(option));
                    case "--disk" -> {
                        String disk = in.value(option);
                        boolean readOnly = disk.endsWith(":ro");
                        config.disk(Path.of(readOnly ? disk.substring(0, disk.length() - 3) : disk).toAbsolutePath(), readOnly);
                    }
                    case "--disk-mb" -> config.diskMb(in.intValue(option, MachineConfig.MIN_DISK_MB, MachineConfig.MAX_DISK_MB));
                    case "--keep-disk" -> config.retainDisk(true);
                    case "--rootfs" -> config.rootfs(Path.of(in.value(option)).toAbsolutePath());
                    case "--mount" -> config.mount(RunCommand.parseMount(in.value(option)));
                    case "--port" -> config.port(RunCommand.parsePort(in.value(option)));
                    case "--network" -> network = in.value(option);
                    case "--allow" -> allowed.add(in.value(option));
                    case "--deny-all" -> denyAll = true;
                    case "--no-start" -> config.start(false);
                    case "--json" -> json = true;
                    default -> {
                        if (option.startsWith("-")) {
                            throw new UsageException("unknown option for create: " + option);
                        }
                        if (name != null) {
                            throw new UsageException("create takes one NAME, got '" + name + "' and '" + option + "'");
                        }
                        name = option;
                    }
                }
            }
            if (name == null) {
                throw new UsageException("create needs a NAME, e.g. flint create web-1");
            }
            config.name(name);
            config.network(RunCommand.networkPolicy(network, allowed, denyAll));
            return new Options(config.build(), json);
        } catch (InvalidConfigException e) {
            throw new UsageException(e.getMessage());
        }
    }

    static String[] keyValue(String option, String pair) throws UsageException {
        int eq = pair.indexOf('=');
        if (eq <= 0) {
            throw new UsageException(option + " needs KEY=VALUE, got '" + pair + "'");
        }
        return new String[] {pair.substring(0, eq), pair.substring(eq + 1)};
    }

    static int run(Options options, ConnectOptions server, PrintStream out, PrintStream err) {
        try {
            Machine machine = Machine.create(options.config(), server);
            out.println(options.json() ? MachineJson.write(MachineJson.info(machine.info(), machine.config())) : machine.id());
            return ExitCodes.OK;
        } catch (FlintException e) {
            err.println("flint: " + e.getMessage());
            return ExitCodes.of(e);
        }
    }
}
