package dev.flint.machine.cli;

import dev.flint.machine.ConnectOptions;
import dev.flint.machine.FlintException;
import dev.flint.machine.InvalidConfigException;
import dev.flint.machine.TemplateInfo;
import dev.flint.machine.TemplateSpec;
import dev.flint.machine.WarmPool;
import dev.flint.machine.WarmPoolInfo;
import dev.flint.machine.wire.MachineJson;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code flint template build|ls|rm} and {@code flint pool create|ls|rm}: templates built on the
 * server (a machine booted, set up and snapshotted once), and the server's warm pools of them;
 * one nested class each.
 */
abstract class TemplateCommands extends ServerBound<TemplateCommands.Options> {
    enum Action { BUILD, LIST, DELETE, CREATE_POOL, LIST_POOLS, DELETE_POOL }

    record Options(Action action, String name, TemplateSpec spec, String template, int size, boolean json) {
    }

    TemplateCommands(CliContext context) {
        super(context);
    }

    static Options parse(String command, List<String> args) throws UsageException {
        return Flint.parse(Flint.withCommand(command, args), TemplateCommands.class).request();
    }

    @Override
    int run(Options options, ConnectOptions server) {
        return run(options, server, context.out(), context.err());
    }

    private static Options listing(Action action, boolean json) {
        return new Options(action, null, null, null, 0, json);
    }

    @Command(name = "template", subcommands = {Template.Build.class, Template.Ls.class, Template.Rm.class},
            description = {"build, list (ls) or delete (rm) templates; create --template uses one", "",
                    "build boots a machine (OCI image REF, or Flint's root), runs each --setup command line in order with"
                            + " /bin/sh -c (each must exit 0, else the build fails with its status and stderr and leaves"
                            + " nothing), snapshots it as template NAME and deletes the machine. 'flint create NEW"
                            + " --template NAME' then restores it (or boots it cold and runs the setup again when the"
                            + " template's snapshot, template-NAME, was deleted). The disk size is fixed at build. rm"
                            + " deletes the template and its snapshot; refused (exit 6) while a pool or machines use it."
                            + " Without a subcommand: ls."}, footer = ExitCodes.TEXT)
    static final class Template extends TemplateCommands {
        @Option(names = "--json", description = "list as JSON")
        private boolean json;

        Template(CliContext context) {
            super(context);
        }

        @Override
        Options request() {
            return listing(Action.LIST, json);
        }

        @Command(name = "build", description = {"build template NAME: boot, run each --setup, snapshot", "",
                "Boots a machine, runs each --setup command line in order with /bin/sh -c (each must exit 0), snapshots"
                        + " it as template NAME and deletes the machine."}, footer = ExitCodes.TEXT)
        static final class Build extends TemplateCommands {
            @Option(names = "--image", paramLabel = "REF", description = "boot OCI image REF instead of Flint's root")
            private String image;
            @Option(names = "--cpus", paramLabel = "N", description = "vCPUs of the template's machines")
            private Integer cpus;
            @Option(names = "--memory-mb", paramLabel = "N", description = "guest memory in MiB")
            private Integer memoryMb;
            @Option(names = "--disk-mb", paramLabel = "N", description = "the machines' own disk of N MiB, fixed at build")
            private Integer diskMb;
            @Option(names = "--env", paramLabel = "K=V", description = "environment of the setup and the machines (repeatable)")
            private List<String> env = new ArrayList<>();
            @Option(names = "--setup", paramLabel = "'CMD'", description = "a command line to run with /bin/sh -c (repeatable, in order)")
            private List<String> setup = new ArrayList<>();
            @Parameters(paramLabel = "NAME", arity = "1", description = "the template's name")
            private String name;

            Build(CliContext context) {
                super(context);
            }

            @Override
            Options request() throws UsageException {
                try {
                    TemplateSpec.Builder spec = TemplateSpec.builder();
                    if (image != null) {
                        spec.image(ImageCommands.reference(image));
                    }
                    if (cpus != null) {
                        spec.cpus(cpus);
                    }
                    if (memoryMb != null) {
                        spec.memoryMb(memoryMb);
                    }
                    if (diskMb != null) {
                        spec.diskMb(diskMb);
                    }
                    for (String pair : env) {
                        String[] kv = OptionChecks.keyValue("--env", pair);
                        spec.env(kv[0], kv[1]);
                    }
                    setup.forEach(spec::setupShell);
                    return new Options(Action.BUILD, dev.flint.machine.Template.checkName(name), spec.build(), null, 0, false);
                } catch (InvalidConfigException e) {
                    throw new UsageException(e.getMessage());
                }
            }
        }

        @Command(name = "ls", description = "list the templates", footer = ExitCodes.TEXT)
        static final class Ls extends TemplateCommands {
            @Option(names = "--json", description = "list as JSON")
            private boolean json;

            Ls(CliContext context) {
                super(context);
            }

            @Override
            Options request() {
                return listing(Action.LIST, json);
            }
        }

        @Command(name = "rm", description = {"delete template NAME and its snapshot",
                "Refused (exit 6) while a pool or machines use it."}, footer = ExitCodes.TEXT)
        static final class Rm extends TemplateCommands {
            @Parameters(paramLabel = "NAME", arity = "1", description = "the template's name")
            private String name;

            Rm(CliContext context) {
                super(context);
            }

            @Override
            Options request() throws UsageException {
                return checked(() -> new Options(Action.DELETE, dev.flint.machine.Template.checkName(name), null, null, 0,
                        false));
            }
        }
    }

    @Command(name = "pool", subcommands = {Pool.Create.class, Pool.Ls.class, Pool.Rm.class},
            description = {"warm pools of a template's machines (create, ls, rm); create --warm-pool uses one", "",
                    "A warm pool keeps N machines of template T restored and running in the server, so that 'flint"
                            + " create NEW --template T --warm-pool NAME' checks one out at once (named NEW) and the pool"
                            + " restores a replacement. Pools live in the server and end with it: recreate them after a"
                            + " restart. rm deletes the pool and its ready machines. Without a subcommand: ls."},
            footer = ExitCodes.TEXT)
    static final class Pool extends TemplateCommands {
        @Option(names = "--json", description = "list as JSON")
        private boolean json;

        Pool(CliContext context) {
            super(context);
        }

        @Override
        Options request() {
            return listing(Action.LIST_POOLS, json);
        }

        @Command(name = "create", customSynopsis = "flint pool create NAME --template T --size N [OPTIONS]",
                description = "keep N machines of template T restored and running", footer = ExitCodes.TEXT)
        static final class Create extends TemplateCommands {
            @Option(names = "--template", paramLabel = "T", description = "the template of the pool's machines")
            private String template;
            @Option(names = "--size", paramLabel = "N", description = "how many machines to keep ready")
            private int size;
            @Parameters(paramLabel = "NAME", description = "the pool's name")
            private List<String> names = new ArrayList<>();

            Create(CliContext context) {
                super(context);
            }

            @Override
            Options request() throws UsageException {
                if (names.size() != 1 || template == null || size == 0) {
                    throw new UsageException("pool create needs NAME, --template T and --size N, e.g. flint pool create"
                            + " py-pool --template py --size 2");
                }
                OptionChecks.between("--size", size, 1, WarmPool.MAX_SIZE);
                return checked(() -> new Options(Action.CREATE_POOL, WarmPool.checkName(names.get(0)), null,
                        dev.flint.machine.Template.checkName(template), size, false));
            }
        }

        @Command(name = "ls", description = "list the warm pools", footer = ExitCodes.TEXT)
        static final class Ls extends TemplateCommands {
            @Option(names = "--json", description = "list as JSON")
            private boolean json;

            Ls(CliContext context) {
                super(context);
            }

            @Override
            Options request() {
                return listing(Action.LIST_POOLS, json);
            }
        }

        @Command(name = "rm", description = "delete pool NAME and its ready machines", footer = ExitCodes.TEXT)
        static final class Rm extends TemplateCommands {
            @Parameters(paramLabel = "NAME", arity = "1", description = "the pool's name")
            private String name;

            Rm(CliContext context) {
                super(context);
            }

            @Override
            Options request() throws UsageException {
                return checked(() -> new Options(Action.DELETE_POOL, WarmPool.checkName(name), null, null, 0, false));
            }
        }
    }

    private interface Check {
        Options get();
    }

    /** A name the server would refuse is a usage error here, before any server is asked. */
    private static Options checked(Check check) throws UsageException {
        try {
            return check.get();
        } catch (InvalidConfigException e) {
            throw new UsageException(e.getMessage());
        }
    }

    static int run(Options options, ConnectOptions server, PrintStream out, PrintStream err) {
        try {
            switch (options.action()) {
                case BUILD -> out.println(dev.flint.machine.Template.build(options.name(), options.spec(), server).name());
                case LIST -> listTemplates(dev.flint.machine.Template.list(server), options.json(), out);
                case DELETE -> {
                    dev.flint.machine.Template.delete(options.name(), server);
                    out.println(options.name() + " deleted");
                }
                case CREATE_POOL -> out.println(WarmPool.create(options.name(), options.template(), options.size(), server)
                        .name());
                case LIST_POOLS -> listPools(WarmPool.list(server), options.json(), out);
                case DELETE_POOL -> {
                    WarmPool.delete(options.name(), server);
                    out.println(options.name() + " deleted");
                }
            }
            return ExitCodes.OK;
        } catch (FlintException e) {
            err.println("flint: " + e.getMessage());
            return ExitCodes.of(e);
        }
    }

    private static void listTemplates(List<TemplateInfo> templates, boolean json, PrintStream out) {
        if (json) {
            out.println(MachineJson.write(MachineJson.templates(templates)));
            return;
        }
        out.printf("%-24s %-28s %4s %8s %8s %6s %8s  %s%n", "NAME", "IMAGE", "CPUS", "MEMORY", "DISK", "SETUP", "SNAPSHOT",
                "CREATED");
        for (TemplateInfo t : templates) {
            out.printf("%-24s %-28s %4d %6dMi %6dMi %6d %8s  %s%n", t.name(), t.spec().image().orElse("-"), t.spec().cpus(),
                    t.spec().memoryMb(), t.spec().diskMb(), t.spec().setup().size(), t.snapshot() ? "yes" : "no (cold)",
                    t.createdAt());
        }
    }

    private static void listPools(List<WarmPoolInfo> pools, boolean json, PrintStream out) {
        if (json) {
            out.println(MachineJson.write(MachineJson.pools(pools)));
            return;
        }
        out.printf("%-24s %-24s %5s %5s%n", "NAME", "TEMPLATE", "SIZE", "READY");
        for (WarmPoolInfo p : pools) {
            out.printf("%-24s %-24s %5d %5d%n", p.name(), p.template(), p.size(), p.ready());
        }
    }
}
