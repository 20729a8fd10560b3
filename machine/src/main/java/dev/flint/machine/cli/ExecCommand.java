package dev.flint.machine.cli;

import dev.flint.image.ImageException;
import dev.flint.image.PullPolicy;
import dev.flint.machine.ConnectOptions;
import dev.flint.machine.ExecOptions;
import dev.flint.machine.ExecResult;
import dev.flint.machine.FlintException;
import dev.flint.machine.InvalidConfigException;
import dev.flint.machine.Machine;
import dev.flint.machine.RunOptions;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code flint exec MACHINE -- COMMAND...} runs a command in a server's machine, streaming its
 * output; {@code flint shell MACHINE COMMAND} runs a command line in a login shell
 * ({@code /bin/sh -l -c}, so /etc/profile applies).
 */
final class ExecCommand {
    private static final String OPTIONS = """
            Options:
              --env K=V             environment variable for the command (repeatable)
              --workdir DIR         working directory (absolute; default: the machine's workdir, else /)
              --timeout SECONDS     kill the command after this long and exit 124
              --image REF           run in OCI image REF with a fresh writable layer, its config
                                    applying as in 'docker run' (pulled by the server when missing)
              --user USER           with --image: NAME, UID, UID:GID or NAME:GROUP of the image
              --pull POLICY         with --image: missing (default), always, or never
              -it                   on a terminal, as 'docker exec -it': this terminal goes raw and
                                    every key reaches the command (Ctrl-C included); its size follows
            """ + ServerTarget.OPTIONS_TEXT + """
              -h, --help            show this help

            Exit status: the command's exit code; 128+N if signal N killed it; 124 timeout; 127 the
            command was not found, 126 it could not be started (not executable, permission denied,
            a missing workdir); if the machine could not run it: 2 bad arguments, 4 no server, 5 no
            such machine or image, 6 not running, 7 the registry refused or failed, 8 the image store
            is full, 9 the guest crashed (a kernel panic; the message ends with its console tail),
            125 the machine failed otherwise.
            """;
    static final String EXEC_USAGE = """
            Usage: flint exec MACHINE [OPTIONS] -- COMMAND [ARGS...]

            Runs COMMAND in the machine (its id or name) and prints its stdout and stderr as they come.

            """ + OPTIONS;
    static final String SHELL_USAGE = """
            Usage: flint shell MACHINE [OPTIONS] [COMMAND-LINE]

            Runs COMMAND-LINE in a login shell in the machine (/bin/sh -l -c): /etc/profile and the
            machine's environment apply, so it behaves as typed in a session. Quote it as one argument,
            e.g. flint shell web-1 'cd /srv && ls | wc -l'. Without COMMAND-LINE it opens an interactive
            login shell on a terminal (as 'flint exec -it MACHINE -- /bin/sh -l').

            """ + OPTIONS;

    /** {@code image} present: the command runs in that OCI image with {@code run}'s options. */
    /** {@code interactive}: on a terminal ({@code -it}, or a shell without a command line). */
    record Options(String machine, List<String> command, RunOptions run, boolean shell, Optional<String> image,
                   boolean interactive) {
        ExecOptions exec() {
            return run.exec();
        }
    }

    private ExecCommand() {
    }

    static Options parse(List<String> args, boolean shell) throws UsageException {
        Arguments in = new Arguments(args);
        String verb = shell ? "shell" : "exec";
        ExecOptions.Builder exec = ExecOptions.builder();
        String machine = null;
        List<String> command = new ArrayList<>();
        String image = null;
        String user = null;
        PullPolicy pull = PullPolicy.MISSING;
        boolean interactive = false;
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
                    case "--env" -> {
                        String[] pair = CreateCommand.keyValue(option, in.value(option));
                        exec.env(pair[0], pair[1]);
                    }
                    case "--workdir" -> exec.workdir(in.value(option));
                    case "--timeout" -> exec.timeout(Duration.ofSeconds(in.intValue(option, 1, 86_400)));
                    case "--image" -> image = ImageCommands.reference(in.value(option));
                    case "--user" -> user = in.value(option);
                    case "--pull" -> pull = ImageCommands.pullPolicy(in.value(option));
                    case "-it", "-ti", "-i", "-t", "--interactive", "--tty" -> interactive = true;
                    default -> {
                        if (option.startsWith("-")) {
                            throw new UsageException("unknown option for " + verb + ": " + option);
                        }
                        if (machine == null) {
                            machine = option;
                        } else if (shell) {
                            command.add(option);
                        } else {
                            throw new UsageException("put the command after --, e.g. flint exec " + machine + " -- "
                                    + option);
                        }
                    }
                }
            }
            if (machine == null) {
                throw new UsageException(verb + " needs a MACHINE (its id or name); 'flint ls' lists them");
            }
            if (image == null && (user != null || pull != PullPolicy.MISSING)) {
                throw new UsageException("--user and --pull apply to --image; add --image REF");
            }
            if (shell && command.isEmpty()) {
                interactive = true;   // flint shell NAME: a login shell on a terminal, as ssh gives
            }
            if (interactive && image != null) {
                throw new UsageException("a terminal (-it, or shell without a command line) does not go with --image"
                        + " yet; give the command a command line, without -it");
            }
            if (command.isEmpty() && image == null && !shell) {
                throw new UsageException("exec needs a command after --, e.g. flint exec " + machine + " -- uname -a");
            }
            if (shell && !command.isEmpty()) {
                command = List.of(String.join(" ", command));
            }
            RunOptions.Builder run = RunOptions.builder().exec(exec.build()).pull(pull);
            if (user != null) {
                run.user(user);
            }
            return new Options(machine, command, run.build(), shell, Optional.ofNullable(image), interactive);
        } catch (InvalidConfigException e) {
            throw new UsageException(e.getMessage());
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
