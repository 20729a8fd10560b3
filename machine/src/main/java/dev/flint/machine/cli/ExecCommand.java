package dev.flint.machine.cli;

import dev.flint.image.ImageException;
import dev.flint.machine.ConnectOptions;
import dev.flint.machine.ExecOptions;
import dev.flint.machine.ExecResult;
import dev.flint.machine.FlintException;
import dev.flint.machine.InvalidConfigException;
import dev.flint.machine.Machine;
import dev.flint.machine.RunOptions;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code flint exec MACHINE -- COMMAND...} runs a command in a server's machine, streaming its
 * output; {@code flint shell MACHINE COMMAND} ({@link Shell}) runs a command line in a login shell
 * ({@code /bin/sh -l -c}, so /etc/profile applies).
 */
@Command(name = "exec", customSynopsis = "flint exec MACHINE [OPTIONS] -- COMMAND [ARGS...]",
        description = {"run a command in a machine: flint exec web-1 -- uname -a", "",
                "Runs COMMAND in the machine (its id or name) and prints its stdout and stderr as they come."},
        footer = ExecCommand.EXIT_TEXT)
class ExecCommand extends ServerBound<ExecCommand.Options> {
    static final String EXIT_TEXT = "Exit status: the command's exit code; 128+N if signal N killed it; 124 timeout;"
            + " 127 the command was not found, 126 it could not be started (not executable, permission denied, a missing"
            + " workdir); if the machine could not run it: 2 bad arguments, 4 no server, 5 no such machine or image, 6"
            + " not running, 7 the registry refused or failed, 8 the image store is full, 9 the guest crashed (a kernel"
            + " panic; the message ends with its console tail), 125 the machine failed otherwise.";

    @Mixin
    private CommandRunOptions how;
    @Option(names = {"-i", "--interactive"}, description = "with -t (-it), on a terminal, as 'docker exec -it': this"
            + " terminal goes raw and every key reaches the command (Ctrl-C included); its size follows")
    private boolean interactive;
    @Option(names = {"-t", "--tty"}, description = "the same as -i")
    private boolean tty;
    @Parameters(paramLabel = "MACHINE", description = "the machine's id or name, then (after --) the command")
    private List<String> words = new ArrayList<>();

    /** {@code image} present: the command runs in that OCI image with {@code run}'s options. */
    /** {@code interactive}: on a terminal ({@code -it}, or a shell without a command line). */
    record Options(String machine, List<String> command, RunOptions run, boolean shell, Optional<String> image,
                   boolean interactive) {
        ExecOptions exec() {
            return run.exec();
        }
    }

    ExecCommand(CliContext context) {
        super(context);
    }

    static Options parse(List<String> args, boolean shell) throws UsageException {
        return Flint.parse(Flint.withCommand(shell ? "shell" : "exec", args), ExecCommand.class).request();
    }

    /** Whether this is {@code flint shell}: the words after MACHINE are one command line for a login shell. */
    boolean shell() {
        return false;
    }

    @Override
    Options request() throws UsageException {
        boolean shell = shell();
        String verb = shell ? "shell" : "exec";
        GuestCommand split = GuestCommand.split(spec, words);
        if (split.before().isEmpty()) {
            throw new UsageException(verb + " needs a MACHINE (its id or name); 'flint ls' lists them");
        }
        String machine = split.before().get(0);
        List<String> command = new ArrayList<>();
        if (split.before().size() > 1) {
            if (!shell) {
                throw new UsageException("put the command after --, e.g. flint exec " + machine + " -- "
                        + split.before().get(1));
            }
            command.addAll(split.before().subList(1, split.before().size()));
        }
        command.addAll(split.after());
        String reference = how.image().orElse(null);
        RunOptions run = how.runOptions();
        boolean terminal = interactive || tty;
        try {
            if (shell && command.isEmpty()) {
                terminal = true;   // flint shell NAME: a login shell on a terminal, as ssh gives
            }
            if (terminal && reference != null) {
                throw new UsageException("a terminal (-it, or shell without a command line) does not go with --image"
                        + " yet; give the command a command line, without -it");
            }
            if (command.isEmpty() && reference == null && !shell) {
                throw new UsageException("exec needs a command after --, e.g. flint exec " + machine + " -- uname -a");
            }
            if (shell && !command.isEmpty()) {
                command = List.of(String.join(" ", command));
            }
            return new Options(machine, List.copyOf(command), run, shell, Optional.ofNullable(reference), terminal);
        } catch (InvalidConfigException e) {
            throw new UsageException(e.getMessage());
        }
    }

    @Override
    int run(Options options, ConnectOptions server) {
        return run(options, server, context.out(), context.err());
    }

    /** {@code flint shell MACHINE [COMMAND-LINE]}: the same options, the command line run by a login shell. */
    @Command(name = "shell", customSynopsis = "flint shell MACHINE [OPTIONS] [COMMAND-LINE]",
            description = {"run a command line in a login shell: flint shell web-1 'echo $PATH'", "",
                    "Runs COMMAND-LINE in a login shell in the machine (/bin/sh -l -c): /etc/profile and the machine's"
                            + " environment apply, so it behaves as typed in a session. Quote it as one argument, e.g."
                            + " flint shell web-1 'cd /srv && ls | wc -l'. Without COMMAND-LINE it opens an interactive"
                            + " login shell on a terminal (as 'flint exec -it MACHINE -- /bin/sh -l')."},
            footer = ExecCommand.EXIT_TEXT)
    static final class Shell extends ExecCommand {
        Shell(CliContext context) {
            super(context);
        }

        @Override
        boolean shell() {
            return true;
        }
    }

    static int run(Options options, ConnectOptions server, PrintStream out, PrintStream err) {
        try {
            Machine machine = Machine.connect(options.machine(), server);
            if (options.interactive()) {
                return InteractiveSession.run(machine, options.shell() && options.command().isEmpty()
                        ? List.of("/bin/sh", "-l") : shellOrArgv(options), options.exec(), err);
            }
            List<String> argv = options.shell() ? List.of("/bin/sh", "-l", "-c", options.command().get(0)) : options.command();
            ExecResult result = options.image().isPresent()
                    ? machine.run(options.image().get(), argv, options.run(), chunk -> write(out, chunk),
                            chunk -> write(err, chunk))
                    : machine.exec(argv, options.exec(), chunk -> write(out, chunk), chunk -> write(err, chunk));
            return result.signal() != 0 ? 128 + result.signal() : result.exitCode();
        } catch (ImageException e) {
            err.println("flint: " + e.getMessage());
            return ImageCommands.exitCode(e);
        } catch (FlintException e) {
            err.println("flint: " + e.getMessage());
            return ExitCodes.of(e);
        }
    }

    private static List<String> shellOrArgv(Options options) {
        return options.shell() ? List.of("/bin/sh", "-l", "-c", options.command().get(0)) : options.command();
    }

    private static void write(PrintStream stream, byte[] chunk) {
        stream.write(chunk, 0, chunk.length);
        stream.flush();
    }
}
