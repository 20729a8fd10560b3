package dev.flint.machine.cli;

import dev.flint.image.ImageException;
import dev.flint.image.PullPolicy;
import dev.flint.machine.ExecOptions;
import dev.flint.machine.ExecResult;
import dev.flint.machine.ExecStartException;
import dev.flint.machine.ExecTimeoutException;
import dev.flint.machine.FlintException;
import dev.flint.machine.GuestCrashedException;
import dev.flint.machine.HostUnsupportedException;
import dev.flint.machine.InvalidConfigException;
import dev.flint.machine.Machine;
import dev.flint.machine.MachineConfig;
import dev.flint.machine.PortSpec;
import dev.flint.machine.RunOptions;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** {@code flint run}: boots a machine, runs one command in it, streams its output, exits with its code. */
final class RunCommand {
    static final String USAGE = """
            Usage: flint run [OPTIONS] -- COMMAND [ARGS...]
                   flint run --image REF [OPTIONS] [-- COMMAND [ARGS...]]

            Boots a microVM, runs COMMAND in it through Flint's guest agent, prints its stdout and
            stderr as they come, deletes the machine, and exits with COMMAND's exit code. With
            --image, COMMAND runs in that OCI image's files (pulled when missing, with progress on
            stderr), its Entrypoint, Cmd (when no COMMAND is given), Env, WorkingDir and User
            applying as in 'docker run'.

            Options:
              --image REF           run in OCI image REF (python:3.12, localhost:5000/app:1, name@sha256:...)
              --user USER           with --image: NAME, UID, UID:GID or NAME:GROUP of the image
              --pull POLICY         with --image: missing (default), always, or never
              --env K=V             environment variable for COMMAND (repeatable)
              --workdir DIR         working directory in the guest (absolute; default /)
              --timeout SECONDS     kill COMMAND after this long and exit 124
              --name NAME           machine name, also its hostname (default flint)
            """ + MachineOptions.USAGE + """
              --console             copy the guest's serial console to stderr
              --timings             print boot and command times on stderr
              -h, --help            show this help

            Exit status: COMMAND's exit code; 128+N if a signal N killed it; 124 timeout; 127
            COMMAND was not found, 126 it could not be started (not executable, permission denied,
            a missing workdir); 2 bad arguments; 3 this host cannot run machines; 9 the guest
            crashed (a kernel panic: the message ends with its last console lines); 125 the machine
            failed otherwise; with --image
            also 5 no such image, 7 the registry refused or failed, 8 the image store is full.
            """;

    static final int EXIT_MACHINE = 125;

    private RunCommand() {
    }

    /** {@code image} and {@code run} are set together: a command in an OCI image instead of the machine's root. */
    record Options(MachineConfig config, RunOptions run, List<String> command, boolean console, boolean timings,
                   Optional<String> image) {
        ExecOptions exec() {
            return run.exec();
        }
    }

    static Options parse(List<String> args) throws UsageException {
        Arguments in = new Arguments(args);
        MachineConfig.Builder config = MachineConfig.builder();
        ExecOptions.Builder exec = ExecOptions.builder();
        List<String> command = new ArrayList<>();
        boolean console = false;
        boolean timings = false;
        String image = null;
        String user = null;
        PullPolicy pull = PullPolicy.MISSING;
        MachineOptions machine = new MachineOptions(config);
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
                        String pair = in.value(option);
                        int eq = pair.indexOf('=');
                        if (eq <= 0) {
                            throw new UsageException("--env needs KEY=VALUE, got '" + pair + "'");
                        }
                        exec.env(pair.substring(0, eq), pair.substring(eq + 1));
                    }
                    case "--workdir" -> exec.workdir(in.value(option));
                    case "--timeout" -> exec.timeout(Duration.ofSeconds(in.intValue(option, 1, 86_400)));
                    case "--name" -> config.name(in.value(option));
                    case "--image" -> image = ImageCommands.reference(in.value(option));
                    case "--user" -> user = in.value(option);
                    case "--pull" -> pull = ImageCommands.pullPolicy(in.value(option));
                    case "--console" -> console = true;
                    case "--timings" -> timings = true;
                    default -> {
                        if (!machine.apply(option, in)) {
                            throw new UsageException("unknown option for run: " + option
                                    + (option.startsWith("-") ? "" : " (put the command after --)"));
                        }
                    }
                }
            }
            if (command.isEmpty() && image == null) {
                throw new UsageException("run needs a command after --, e.g. flint run -- uname -a");
            }
            if (image == null && (user != null || pull != PullPolicy.MISSING)) {
                throw new UsageException("--user and --pull apply to --image runs; add --image REF");
            }
            machine.finish();
            RunOptions.Builder run = RunOptions.builder().exec(exec.build()).pull(pull);
            if (user != null) {
                run.user(user);
            }
            return new Options(config.build(), run.build(), command, console, timings, Optional.ofNullable(image));
        } catch (InvalidConfigException e) {
            throw new UsageException(e.getMessage());
        }
    }

    static int run(Options options, PrintStream err) {
        OutputStream stdout = new FileOutputStream(FileDescriptor.out);
        OutputStream stderr = new FileOutputStream(FileDescriptor.err);
        long start = System.nanoTime();
        if (options.image().isPresent()) {
            int pulled = ImageCommands.pull(options.image().get(), options.run().pull(), err);
            if (pulled != 0) {
                return pulled;
            }
        }
        try (Machine machine = Machine.create(options.config(), options.console() ? stderr : null)) {
            long ready = System.nanoTime();
            for (PortSpec port : machine.ports()) {
                err.println("flint: forwarding " + port);
            }
            ExecResult result = options.image().isPresent()
                    ? machine.run(options.image().get(), options.command(), options.run(), chunk -> write(stdout, chunk),
                            chunk -> write(stderr, chunk))
                    : machine.exec(options.command(), options.exec(), chunk -> write(stdout, chunk),
                            chunk -> write(stderr, chunk));
            if (options.timings()) {
                err.printf("flint: machine ready in %.1f ms, command took %.1f ms%n", (ready - start) / 1e6,
                        (System.nanoTime() - ready) / 1e6);
            }
            return result.signal() != 0 ? 128 + result.signal() : result.exitCode();
        } catch (ExecTimeoutException e) {
            err.println("flint: " + e.getMessage());
            return BootCommand.EXIT_TIMEOUT;
        } catch (ExecStartException e) {
            err.println("flint: " + e.getMessage());
            return ExitCodes.of(e);
        } catch (HostUnsupportedException e) {
            err.println("flint: " + e.getMessage());
            return BootCommand.EXIT_HOST;
        } catch (ImageException e) {
            err.println("flint: " + e.getMessage());
            return ImageCommands.exitCode(e);
        } catch (GuestCrashedException e) {
            err.println("flint: " + e.getMessage());
            return ExitCodes.GUEST_CRASHED;
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
