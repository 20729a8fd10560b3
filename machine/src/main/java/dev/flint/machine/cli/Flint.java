package dev.flint.machine.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** The {@code flint} command: picocli parses the command line into one of its subcommands, which then runs. */
@Command(name = "flint", versionProvider = FlintVersion.class,
        description = {"Flint runs microVMs: one-off commands (run, boot, doctor, overhead, soak), OCI images (pull,"
                + " images, rmi, prune, load; stored under $FLINT_HOME/images, shared by every machine), and machines"
                + " that outlive the command, hosted by a Flint server (flint serve)."},
        footer = {"The machine commands talk to the server in $FLINT_SERVER (or --server URL), with the token in"
                + " $FLINT_TOKEN (or --token). Without one they use the local server of $FLINT_HOME, started in the"
                + " background the first time (its log: $FLINT_HOME/server.log; 'flint server stop' ends it);"
                + " FLINT_AUTO_SERVER=0 makes them exit 4 instead.", "",
                "Run 'flint COMMAND --help' (or 'flint help COMMAND') for a command's options and exit statuses;"
                + " 'flint completion bash' prints a completion script."},
        subcommands = {RunCommand.class, BootCommand.class, DoctorCommand.class, OverheadCommand.class, SoakCommand.class,
                ImageCommands.Pull.class, ImageCommands.ListImages.class, ImageCommands.Remove.class, ImageCommands.Prune.class,
                ImageCommands.Load.class,
                ServeCommand.class, ServerCommand.class, CreateCommand.class, ListCommand.class,
                MachineCommand.Info.class, ExecCommand.class, ExecCommand.Shell.class, CpCommand.class,
                MachineCommand.Logs.class, MachineCommand.Start.class, MachineCommand.Stop.class,
                MachineCommand.Restart.class, MachineCommand.Delete.class, MachineCommand.Pause.class,
                MachineCommand.Resume.class, SnapshotCommands.Snapshot.class, SnapshotCommands.Fork.class,
                SnapshotCommands.Snapshots.class, TemplateCommands.Template.class, TemplateCommands.Pool.class,
                CompletionCommand.class, CommandLine.HelpCommand.class, AotTraining.class})
public final class Flint implements FlintCommand {
    /** Hidden: the launcher's AOT cache training run ({@link AotTraining}). */
    static final String AOT_TRAINING = "__aot-train";

    private final CliContext context;
    @Spec
    private CommandSpec spec;
    @CommandLine.Option(names = {"-V", "--version"}, versionHelp = true, description = "print Flint's version")
    private boolean version;

    Flint(CliContext context) {
        this.context = context;
    }

    /** Only options, no command ({@code flint --}): the usage, as for no arguments at all. */
    @Override
    public int run() {
        spec.commandLine().usage(context.out());
        return ExitCodes.USAGE;
    }

    public static void main(String[] args) throws InterruptedException {
        System.exit(run(Arrays.asList(args), System.out, System.err, System.getenv()));
    }

    static int run(List<String> args, PrintStream out, PrintStream err) throws InterruptedException {
        return run(args, out, err, System.getenv());
    }

    static int run(List<String> args, PrintStream out, PrintStream err, Map<String, String> env) throws InterruptedException {
        return run(args, out, err, env, AutoServer::startServe);
    }

    /** As {@link #run(List, PrintStream, PrintStream, Map)}, starting a local server with {@code starter} when one is needed. */
    static int run(List<String> args, PrintStream out, PrintStream err, Map<String, String> env,
                   AutoServer.Starter starter) throws InterruptedException {
        CommandLine cli = commandLine(new CliContext(out, err, env, starter));
        if (args.isEmpty()) {
            cli.usage(out);
            return ExitCodes.USAGE;
        }
        CommandLine.ParseResult parsed;
        try {
            parsed = cli.parseArgs(args.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            return UsageErrors.report(e, err);
        }
        try {
            Integer help = CommandLine.executeHelpRequest(parsed);
            if (help != null) {
                return help;
            }
        } catch (CommandLine.ParameterException e) {   // flint help NOSUCH
            return UsageErrors.report(e, err);
        } finally {
            cli.getOut().flush();
        }
        CommandLine chosen = innermost(parsed);
        try {
            return ((FlintCommand) chosen.getCommand()).run();
        } catch (UsageException e) {
            return UsageErrors.report(e.getMessage(), chosen, null, err);
        }
    }

    /**
     * The command object {@code args} (command words first) parse into, options set, nothing run:
     * what the tests check parsing with. A wrong command line is a {@link UsageException}.
     */
    static <T> T parse(List<String> args, Map<String, String> env, Class<T> type) throws UsageException {
        PrintStream quiet = new PrintStream(PrintStream.nullOutputStream());
        try {
            return type.cast(innermost(commandLine(new CliContext(quiet, quiet, env, null))
                    .parseArgs(args.toArray(String[]::new))).getCommand());
        } catch (CommandLine.ParameterException e) {
            throw new UsageException(UsageErrors.message(e));
        }
    }

    static <T> T parse(List<String> args, Class<T> type) throws UsageException {
        return parse(args, Map.of(), type);
    }

    /** {@code command}'s words ("snapshots rm"), then {@code args}. */
    static List<String> withCommand(String command, List<String> args) {
        List<String> all = new ArrayList<>(List.of(command.split(" ")));
        all.addAll(args);
        return all;
    }

    /** The whole command tree, set up the same way everywhere (help options, layout, no @-files). */
    static CommandLine commandLine(CliContext context) {
        CommandLine cli = new CommandLine(Flint.class, new CommandFactory(context));
        addHelpOptions(cli);
        // The command list shows a command's header when it has one, as picocli's help command does.
        cli.getSubcommands().get("help").getCommandSpec().usageMessage()
                .header("show this help, or a command's: flint help create");
        cli.registerConverter(Integer.class, new WholeNumber());
        cli.registerConverter(int.class, new WholeNumber());
        // A guest command is passed through as given: '@file' is an argument, not a file of arguments.
        cli.setExpandAtFiles(false);
        cli.setOverwrittenOptionsAllowed(true);   // the last --cpus wins, as it always did
        cli.setUsageHelpWidth(100);
        cli.setUsageHelpLongOptionsMaxWidth(32);
        cli.setColorScheme(CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF));
        cli.setOut(new PrintWriter(context.out(), true));
        cli.setErr(new PrintWriter(context.err(), true));
        return cli;
    }

    /** -h/--help on every command, and the abbreviated synopsis ("flint create [OPTIONS] NAME") that fits a line. */
    private static void addHelpOptions(CommandLine command) {
        CommandSpec spec = command.getCommandSpec();
        spec.usageMessage().abbreviateSynopsis(true);
        spec.usageMessage().sortOptions(false);   // in the order each command declares them: related ones together
        spec.usageMessage().footerHeading("%n");
        spec.usageMessage().optionListHeading("%nOptions:%n");
        spec.usageMessage().parameterListHeading("%n");
        spec.usageMessage().commandListHeading("%nCommands:%n");
        spec.usageMessage().descriptionHeading("%n");
        if (!spec.optionsMap().containsKey("--help")) {
            spec.addOption(OptionSpec.builder("-h", "--help").usageHelp(true).description("show this help").order(2000)
                    .build());
        }
        command.getSubcommands().values().stream().distinct().forEach(Flint::addHelpOptions);
    }

    private static CommandLine innermost(CommandLine.ParseResult parsed) {
        List<CommandLine> chain = parsed.asCommandLineList();
        return chain.get(chain.size() - 1);
    }
}
