package dev.flint.machine.cli;

import dev.flint.machine.ConnectOptions;
import dev.flint.machine.FlintException;
import dev.flint.machine.FlintHome;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The {@code flint} command: dispatches to its subcommands. */
public final class Flint {
    static final String USAGE = """
            Usage: flint COMMAND [OPTIONS]

            One-off:
              run      boot a machine, run a command in it, print its output: flint run -- uname -a
              boot     boot a microVM with Flint's guest kernel and stream its console
              doctor   check that machines work on this host and measure boot and exec times
              overhead measure the host memory the VMM adds per running idle machine
              soak     many machine lifecycles at once; fails on a hang, a failed call or a leak

            OCI images (stored under $FLINT_HOME/images, shared by every machine):
              pull     pull an image from a registry: flint pull python:3.12
              images   list the stored images
              rmi      forget stored images; prune frees their layers
              prune    free every blob and layer no stored image needs
              load     load a 'docker save' archive or an OCI layout: flint load image.tar

            Machines that outlive the command (they live in a Flint server: flint serve):
              serve    host machines behind the HTTP/JSON API (default 127.0.0.1:8080)
              server   the local server machine commands start by themselves: status, stop
              create   create (and boot) a machine: flint create web-1 --cpus 2
              ls       list machines (table or --json; --state, --name, --metadata, --limit)
              info     a machine's id, state, resources, times and metadata
              exec     run a command in a machine: flint exec web-1 -- uname -a
              shell    run a command line in a login shell: flint shell web-1 'echo $PATH'
              cp       copy files in or out, as docker cp: flint cp app.conf web-1:/etc/
              logs     a machine's serial console
              start, stop, restart, delete   a machine's lifecycle
              pause, resume   save a running machine to disk and release its VM; restore it
              snapshot a named snapshot of a running machine: flint snapshot web-1 base
              fork     running clones of a machine sharing its memory: flint fork web-1 -n 3
              snapshots  list (ls) or delete (rm SNAP) the snapshots; create --from-snapshot uses one
              template build, list (ls) or delete (rm) templates; create --template uses one
              pool     warm pools of a template's machines (create, ls, rm); create --warm-pool uses one

              help     show this help, or a command's: flint help create

            The machine commands talk to the server in $FLINT_SERVER (or --server URL), with the
            token in $FLINT_TOKEN (or --token). Without one they use the local server of $FLINT_HOME,
            started in the background the first time (its log: $FLINT_HOME/server.log; 'flint server
            stop' ends it); FLINT_AUTO_SERVER=0 makes them exit 4 instead.
            Run 'flint COMMAND --help' for a command's options and exit statuses.
            """;

    /** Commands that act on a server's machines: they need FLINT_SERVER or --server. */
    private static final Set<String> SERVER_COMMANDS = Set.of("create", "ls", "info", "exec", "shell", "logs", "start",
            "stop", "restart", "delete", "pause", "resume", "snapshot", "fork", "snapshots", "cp",
            "template", "pool");

    /** A JVM start and a store open: seconds on a host, tens of seconds in the emulated rig. */
    private static final Duration AUTO_SERVER_START = Duration.ofSeconds(120);

    /** Hidden: the launcher's AOT cache training run ({@link AotTraining}). */
    static final String AOT_TRAINING = "__aot-train";

    private Flint() {
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
        if (args.isEmpty() || isHelp(args.get(0)) || args.get(0).equals("help")) {
            String topic = args.size() > 1 ? args.get(1) : "";
            out.print(usage(topic));
            return args.isEmpty() ? BootCommand.EXIT_USAGE : 0;
        }
        String command = args.get(0);
        List<String> rest = args.subList(1, args.size());
        boolean help = rest.stream().takeWhile(a -> !a.equals("--")).anyMatch(Flint::isHelp);
        if (help && !usage(command).equals(USAGE)) {
            out.print(usage(command));
            return 0;
        }
        try {
            if (SERVER_COMMANDS.contains(command)) {
                return runOnServer(command, rest, out, err, env, starter);
            }
            return switch (command) {
                case "boot" -> BootCommand.run(BootCommand.parse(rest), out, err);
                case "run" -> RunCommand.run(RunCommand.parse(rest), err);
                case "doctor" -> DoctorCommand.run(rest, out, err);
                case "overhead" -> OverheadCommand.run(rest, out, err);
                case "soak" -> SoakCommand.run(rest, out, err);
                case "serve" -> ServeCommand.run(ServeCommand.parse(rest, env), out, err);
                case "server" -> ServerCommand.run(rest, home(env), out, err);
                case "pull", "images", "rmi", "prune", "load" -> ImageCommands.run(command, rest, out, err);
                case AOT_TRAINING -> AotTraining.run(err);
                default -> throw new UsageException("unknown command: " + command);
            };
        } catch (UsageException e) {
            err.println("flint: " + e.getMessage());
            boolean known = !usage(command).equals(USAGE);
            err.println("Run 'flint " + (known ? command + " " : "") + "--help' for usage.");
            return BootCommand.EXIT_USAGE;
        }
    }

    /** Parses first (a typo is exit 2 even without a server), then needs a server. */
    private static int runOnServer(String command, List<String> args, PrintStream out, PrintStream err,
                                   Map<String, String> env, AutoServer.Starter starter) throws UsageException {
        ServerTarget target = ServerTarget.extract(args, env);
        List<String> rest = target.rest();
        Object options = switch (command) {
            case "create" -> CreateCommand.parse(rest);
            case "cp" -> CpCommand.parse(rest);
            case "ls" -> ListCommand.parse(rest);
            case "exec" -> ExecCommand.parse(rest, false);
            case "shell" -> ExecCommand.parse(rest, true);
            case "snapshot", "fork", "snapshots" -> SnapshotCommands.parse(command, rest);
            case "template", "pool" -> TemplateCommands.parse(command, rest);
            default -> MachineCommand.parse(verb(command), rest);
        };
        ConnectOptions server = target.options();
        if (!target.hasServer()) {
            if (!AutoServer.enabled(env)) {
                err.println(ServerTarget.noServer(command));
                return ExitCodes.NO_SERVER;
            }
            try {
                server = AutoServer.connect(home(env), err, starter, AUTO_SERVER_START);
            } catch (FlintException e) {
                err.println("flint: " + e.getMessage());
                return ExitCodes.NO_SERVER;
            }
        }
        return switch (options) {
            case CreateCommand.Options o -> CreateCommand.run(o, server, out, err);
            case CpCommand.Options o -> CpCommand.run(o, server, out, err);
            case ListCommand.Options o -> ListCommand.run(o, server, out, err);
            case ExecCommand.Options o -> ExecCommand.run(o, server, out, err);
            case MachineCommand.Options o -> MachineCommand.run(o, server, out, err);
            case SnapshotCommands.Options o -> SnapshotCommands.run(o, server, out, err);
            case TemplateCommands.Options o -> TemplateCommands.run(o, server, out, err);
            default -> throw new IllegalStateException("no runner for " + command);
        };
    }

    /** $FLINT_HOME as {@code env} gives it, else where {@link FlintHome} finds it. */
    private static Path home(Map<String, String> env) {
        String home = env.get("FLINT_HOME");
        return home != null && !home.isBlank() ? Path.of(home).toAbsolutePath() : FlintHome.resolve();
    }

    private static MachineCommand.Verb verb(String command) {
        return MachineCommand.Verb.valueOf(command.toUpperCase());
    }

    static String usage(String command) {
        return switch (command) {
            case "boot" -> BootCommand.USAGE;
            case "run" -> RunCommand.USAGE;
            case "doctor" -> DoctorCommand.USAGE;
            case "overhead" -> OverheadCommand.USAGE;
            case "soak" -> SoakCommand.USAGE;
            case "serve" -> ServeCommand.USAGE;
            case "server" -> ServerCommand.USAGE;
            case "cp" -> CpCommand.USAGE;
            case "pull", "images", "rmi", "prune", "load" -> ImageCommands.usage(command);
            case "create" -> CreateCommand.USAGE;
            case "ls" -> ListCommand.USAGE;
            case "exec" -> ExecCommand.EXEC_USAGE;
            case "shell" -> ExecCommand.SHELL_USAGE;
            case "start", "stop", "restart", "delete", "info", "logs", "pause", "resume" -> MachineCommand.usage(verb(command));
            case "snapshot", "fork", "snapshots" -> SnapshotCommands.usage(command);
            case "template", "pool" -> TemplateCommands.usage(command);
            default -> USAGE;
        };
    }

    private static boolean isHelp(String arg) {
        return arg.equals("--help") || arg.equals("-h");
    }
}
