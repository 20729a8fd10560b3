package dev.flint.machine.cli;

import dev.flint.machine.ConnectOptions;
import dev.flint.machine.FlintException;
import dev.flint.machine.InvalidConfigException;
import dev.flint.machine.Template;
import dev.flint.machine.TemplateInfo;
import dev.flint.machine.TemplateSpec;
import dev.flint.machine.WarmPool;
import dev.flint.machine.WarmPoolInfo;
import dev.flint.machine.wire.MachineJson;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code flint template build|ls|rm} and {@code flint pool create|ls|rm}: templates built on the
 * server (a machine booted, set up and snapshotted once), and the server's warm pools of them.
 */
final class TemplateCommands {
    static final String TEMPLATE_USAGE = """
            Usage: flint template build NAME [--image REF] [--cpus N] [--memory-mb N] [--disk-mb N]
                                  [--env K=V]... [--setup 'CMD']... [OPTIONS]
                   flint template ls [--json] [OPTIONS]
                   flint template rm NAME [OPTIONS]

            build boots a machine (OCI image REF, or Flint's root), runs each --setup command line in
            order with /bin/sh -c (each must exit 0, else the build fails with its status and stderr
            and leaves nothing), snapshots it as template NAME and deletes the machine. 'flint create
            NEW --template NAME' then restores it (or boots it cold and runs the setup again when the
            template's snapshot, template-NAME, was deleted). The disk size is fixed at build. rm
            deletes the template and its snapshot; refused (exit 6) while a pool or machines use it.

            Options:
              --json                list as JSON
            """ + ServerTarget.OPTIONS_TEXT + """
              -h, --help            show this help

            """ + ExitCodes.TEXT;
    static final String POOL_USAGE = """
            Usage: flint pool create NAME --template T --size N [OPTIONS]
                   flint pool ls [--json] [OPTIONS]
                   flint pool rm NAME [OPTIONS]

            A warm pool keeps N machines of template T restored and running in the server, so that
            'flint create NEW --template T --warm-pool NAME' checks one out at once (named NEW) and the
            pool restores a replacement. Pools live in the server and end with it: recreate them after
            a restart. rm deletes the pool and its ready machines.

            Options:
              --json                list as JSON
            """ + ServerTarget.OPTIONS_TEXT + """
              -h, --help            show this help

            """ + ExitCodes.TEXT;

    enum Action { BUILD, LIST, DELETE, CREATE_POOL, LIST_POOLS, DELETE_POOL }

    record Options(Action action, String name, TemplateSpec spec, String template, int size, boolean json) {
    }

    private TemplateCommands() {
    }

    static String usage(String command) {
        return command.equals("pool") ? POOL_USAGE : TEMPLATE_USAGE;
    }

    static Options parse(String command, List<String> args) throws UsageException {
        Arguments in = new Arguments(args);
        List<String> words = new ArrayList<>();
        TemplateSpec.Builder spec = TemplateSpec.builder();
        String template = null;
        int size = 0;
        boolean json = false;
        boolean pool = command.equals("pool");
        try {
            while (in.hasNext()) {
                String option = in.next();
                switch (option) {
                    case "--json" -> json = true;
                    case "--template" -> template = pooled(pool, option, in);
                    case "--size" -> size = pool ? in.intValue(option, 1, WarmPool.MAX_SIZE) : unknown(command, option);
                    case "--image" -> spec.image(ImageCommands.reference(built(pool, option, in)));
                    case "--cpus" -> spec.cpus(Integer.parseInt(built(pool, option, in)));
                    case "--memory-mb" -> spec.memoryMb(Integer.parseInt(built(pool, option, in)));
                    case "--disk-mb" -> spec.diskMb(Integer.parseInt(built(pool, option, in)));
                    case "--env" -> {
                        String[] pair = CreateCommand.keyValue(option, built(pool, option, in));
                        spec.env(pair[0], pair[1]);
                    }
                    case "--setup" -> spec.setupShell(built(pool, option, in));
                    default -> {
                        if (option.startsWith("-")) {
                            unknown(command, option);
                        }
                        words.add(option);
                    }
                }
            }
            String verb = words.isEmpty() ? "ls" : words.get(0);
            return switch (verb) {
                case "build" -> !pool && words.size() == 2
                        ? new Options(Action.BUILD, Template.checkName(words.get(1)), spec.build(), null, 0, false)
                        : wrong(command, words);
                case "create" -> {
                    if (!pool || words.size() != 2 || template == null || size == 0) {
                        throw new UsageException("pool create needs NAME, --template T and --size N, e.g. flint pool create"
                                + " py-pool --template py --size 2");
                    }
                    yield new Options(Action.CREATE_POOL, WarmPool.checkName(words.get(1)), null, Template.checkName(template),
                            size, false);
                }
                case "ls" -> words.size() <= 1 ? new Options(pool ? Action.LIST_POOLS : Action.LIST, null, null, null, 0, json)
                        : wrong(command, words);
                case "rm" -> words.size() == 2 ? new Options(pool ? Action.DELETE_POOL : Action.DELETE,
                        pool ? WarmPool.checkName(words.get(1)) : Template.checkName(words.get(1)), null, null, 0, false)
                        : wrong(command, words);
                default -> wrong(command, words);
            };
        } catch (InvalidConfigException e) {
            throw new UsageException(e.getMessage());
        } catch (NumberFormatException e) {
            throw new UsageException("a whole number was expected: " + e.getMessage());
        }
    }

    private static String built(boolean pool, String option, Arguments in) throws UsageException {
        if (pool) {
            throw new UsageException(option + " is an option of 'flint template build', not of pool");
        }
        return in.value(option);
    }

    private static String pooled(boolean pool, String option, Arguments in) throws UsageException {
        if (!pool) {
            throw new UsageException(option + " is an option of 'flint pool create'");
        }
        return in.value(option);
    }

    private static int unknown(String command, String option) throws UsageException {
        throw new UsageException("unknown option for " + command + ": " + option);
    }

    private static Options wrong(String command, List<String> words) throws UsageException {
        throw new UsageException(command + (command.equals("pool") ? " takes 'create NAME --template T --size N', 'ls' or"
                + " 'rm NAME'" : " takes 'build NAME ...', 'ls' or 'rm NAME'") + ", got " + words);
    }

    static int run(Options options, ConnectOptions server, PrintStream out, PrintStream err) {
        try {
            switch (options.action()) {
                case BUILD -> out.println(Template.build(options.name(), options.spec(), server).name());
                case LIST -> listTemplates(Template.list(server), options.json(), out);
                case DELETE -> {
                    Template.delete(options.name(), server);
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
