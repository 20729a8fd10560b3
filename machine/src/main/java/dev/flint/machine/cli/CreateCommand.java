package dev.flint.machine.cli;

import dev.flint.machine.ConnectOptions;
import dev.flint.machine.FlintException;
import dev.flint.machine.InvalidConfigException;
import dev.flint.machine.Machine;
import dev.flint.machine.MachineConfig;
import dev.flint.machine.wire.MachineJson;

import java.io.PrintStream;
import java.util.List;

/** {@code flint create NAME}: makes a machine in the server, boots it unless told not to, prints its id. */
final class CreateCommand {
    static final String USAGE = """
            Usage: flint create NAME [OPTIONS]

            Creates machine NAME in the Flint server and boots it (unless --no-start); prints its id.
            The machine keeps running after this command ends: use exec, shell, stop, delete on it.

            Options:
              --env K=V             environment of every command in the machine (repeatable)
              --workdir DIR         default working directory of every command (absolute)
              --metadata K=V        a label to find the machine by (repeatable; ls --metadata)
              --boot-args STRING    extra kernel command-line arguments
              --image REF           every command runs in OCI image REF (pulled by the server when
                                    missing); with --disk-mb what they write survives stop/start
              --from-snapshot SNAP  make it from snapshot SNAP (flint snapshot): it runs on from there
                                    with the snapshot's cpus, memory and disk, and NAME as hostname
              --template T          make it from template T (flint template build): restored from its
                                    snapshot, with its cpus, memory and disk
              --warm-pool POOL      check it out of warm pool POOL of T (flint pool create)
              --pool-mode MODE      prefer (default: cold when none is ready in time), require (fail
                                    instead) or bypass (never take one)
              --pool-wait-ms N      how long to wait for a ready machine (default 0)
            """ + MachineOptions.USAGE + """
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
        MachineOptions machine = new MachineOptions(config);
        String pool = null;
        dev.flint.machine.WarmPoolMode mode = dev.flint.machine.WarmPoolMode.PREFER;
        java.time.Duration wait = java.time.Duration.ZERO;
        try {
            while (in.hasNext()) {
                String option = in.next();
                switch (option) {
                    case "--env" -> {
                        String[] pair = keyValue(option, in.value(option));
                        config.env(pair[0], pair[1]);
                    }
                    case "--workdir" -> config.workdir(in.value(option));
                    case "--metadata" -> {
                        String[] pair = keyValue(option, in.value(option));
                        config.metadata(pair[0], pair[1]);
                    }
                    case "--boot-args" -> config.bootArgs(in.value(option));
                    case "--no-start" -> config.start(false);
                    case "--image" -> config.image(ImageCommands.reference(in.value(option)));
                    case "--from-snapshot" -> config.fromSnapshot(in.value(option));
                    case "--template" -> config.template(in.value(option));
                    case "--warm-pool" -> pool = in.value(option);
                    case "--pool-mode" -> mode = poolMode(in.value(option));
                    case "--pool-wait-ms" -> wait = java.time.Duration.ofMillis(in.intValue(option, 0, 3_600_000));
                    case "--json" -> json = true;
                    default -> {
                        if (machine.apply(option, in)) {
                            continue;
                        }
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
            if (pool != null) {
                config.warmPool(pool, mode, wait);
            }
            machine.finish();
            return new Options(config.build(), json);
        } catch (InvalidConfigException e) {
            throw new UsageException(e.getMessage());
        }
    }

    private static dev.flint.machine.WarmPoolMode poolMode(String mode) throws UsageException {
        try {
            return dev.flint.machine.WarmPoolMode.valueOf(mode.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UsageException("--pool-mode is prefer, require or bypass, got '" + mode + "'");
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
