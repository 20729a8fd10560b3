package dev.flint.machine.cli;

import dev.flint.machine.ConnectOptions;
import dev.flint.machine.FlintException;
import dev.flint.machine.InvalidConfigException;
import dev.flint.machine.Machine;
import dev.flint.machine.MachineConfig;
import dev.flint.machine.wire.MachineJson;

import dev.flint.machine.WarmPoolMode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** {@code flint create NAME}: makes a machine in the server, boots it unless told not to, prints its id. */
@Command(name = "create", description = {"create (and boot) a machine: flint create web-1 --cpus 2", "",
        "Creates machine NAME in the Flint server and boots it (unless --no-start); prints its id. The machine keeps"
                + " running after this command ends: use exec, shell, stop, delete on it."},
        footer = ExitCodes.TEXT)
final class CreateCommand extends ServerBound<CreateCommand.Options> {
    @Option(names = "--env", paramLabel = "K=V", description = "environment of every command in the machine (repeatable)")
    private List<String> env = new ArrayList<>();
    @Option(names = "--workdir", paramLabel = "DIR", description = "default working directory of every command (absolute)")
    private String workdir;
    @Option(names = "--metadata", paramLabel = "K=V",
            description = "a label to find the machine by (repeatable; ls --metadata)")
    private List<String> metadata = new ArrayList<>();
    @Option(names = "--boot-args", paramLabel = "STRING", description = "extra kernel command-line arguments")
    private String bootArgs;
    @Option(names = "--image", paramLabel = "REF", description = "every command runs in OCI image REF (pulled by the"
            + " server when missing); with --disk-mb what they write survives stop/start")
    private String image;
    @Option(names = "--from-snapshot", paramLabel = "SNAP", description = "make it from snapshot SNAP (flint snapshot):"
            + " it runs on from there with the snapshot's cpus, memory and disk, and NAME as hostname")
    private String snapshot;
    @Option(names = "--template", paramLabel = "T", description = "make it from template T (flint template build):"
            + " restored from its snapshot, with its cpus, memory and disk")
    private String template;
    @Option(names = "--warm-pool", paramLabel = "POOL", description = "check it out of warm pool POOL of T (flint pool create)")
    private String pool;
    @Option(names = "--pool-mode", paramLabel = "MODE", description = "prefer (default: cold when none is ready in"
            + " time), require (fail instead) or bypass (never take one)")
    private String poolMode;
    @Option(names = "--pool-wait-ms", paramLabel = "N", description = "how long to wait for a ready machine (default 0)")
    private int poolWaitMs;
    @Mixin
    private MachineOptions machine;
    @Option(names = "--no-start", description = "create it stopped; 'flint start NAME' boots it")
    private boolean noStart;
    @Option(names = "--json", description = "print the machine's info as JSON instead of its id")
    private boolean json;
    @Parameters(paramLabel = "NAME", description = "the machine's name, also its hostname")
    private List<String> names = new ArrayList<>();

    record Options(MachineConfig config, boolean json) {
    }

    CreateCommand(CliContext context) {
        super(context);
    }

    static Options parse(List<String> args) throws UsageException {
        return Flint.parse(Flint.withCommand("create", args), CreateCommand.class).request();
    }

    @Override
    Options request() throws UsageException {
        if (names.isEmpty()) {
            throw new UsageException("create needs a NAME, e.g. flint create web-1");
        }
        if (names.size() > 1) {
            throw new UsageException("create takes one NAME, got '" + names.get(0) + "' and '" + names.get(1) + "'");
        }
        try {
            MachineConfig.Builder config = MachineConfig.builder().name(names.get(0));
            for (String pair : env) {
                String[] kv = OptionChecks.keyValue("--env", pair);
                config.env(kv[0], kv[1]);
            }
            for (String pair : metadata) {
                String[] kv = OptionChecks.keyValue("--metadata", pair);
                config.metadata(kv[0], kv[1]);
            }
            if (workdir != null) {
                config.workdir(workdir);
            }
            if (bootArgs != null) {
                config.bootArgs(bootArgs);
            }
            if (noStart) {
                config.start(false);
            }
            if (image != null) {
                config.image(ImageCommands.reference(image));
            }
            if (snapshot != null) {
                config.fromSnapshot(snapshot);
            }
            if (template != null) {
                config.template(template);
            }
            WarmPoolMode mode = poolMode == null ? WarmPoolMode.PREFER : poolMode(poolMode);
            Duration wait = Duration.ofMillis(OptionChecks.between("--pool-wait-ms", poolWaitMs, 0, 3_600_000));
            if (pool != null) {
                config.warmPool(pool, mode, wait);
            }
            machine.apply(config);
            return new Options(config.build(), json);
        } catch (InvalidConfigException e) {
            throw new UsageException(e.getMessage());
        }
    }

    private static WarmPoolMode poolMode(String mode) throws UsageException {
        try {
            return WarmPoolMode.valueOf(mode.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UsageException("--pool-mode is prefer, require or bypass, got '" + mode + "'");
        }
    }

    @Override
    int run(Options options, ConnectOptions server) {
        return run(options, server, context.out(), context.err());
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
