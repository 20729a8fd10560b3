package dev.flint.machine.cli;

import dev.flint.image.ImageException;
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
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** {@code flint run}: boots a machine, runs one command in it, streams its output, exits with its code. */
@Command(name = "run", customSynopsis = {"flint run [OPTIONS] -- COMMAND [ARGS...]",
        "       flint run --image REF [OPTIONS] [-- COMMAND [ARGS...]]"},
        description = {"boot a machine, run a command in it, print its output: flint run -- uname -a", "",
                "Boots a microVM, runs COMMAND in it through Flint's guest agent, prints its stdout and stderr as they"
                        + " come, deletes the machine, and exits with COMMAND's exit code. With --image, COMMAND runs in"
                        + " that OCI image's files (pulled when missing, with progress on stderr), its Entrypoint, Cmd"
                        + " (when no COMMAND is given), Env, WorkingDir and User applying as in 'docker run'."},
        footer = "Exit status: COMMAND's exit code; 128+N if a signal N killed it; 124 timeout; 127 COMMAND was not"
                + " found, 126 it could not be started (not executable, permission denied, a missing workdir); 2 bad"
                + " arguments; 3 this host cannot run machines; 9 the guest crashed (a kernel panic: the message ends"
                + " with its last console lines); 125 the machine failed otherwise; with --image also 5 no such image,"
                + " 7 the registry refused or failed, 8 the image store is full.")
final class RunCommand implements FlintCommand {
    static final int EXIT_MACHINE = 125;

    /** {@code image} and {@code run} are set together: a command in an OCI image instead of the machine's root. */
    record Options(MachineConfig config, RunOptions run, List<String> command, boolean console, boolean timings,
                   Optional<String> image) {
        ExecOptions exec() {
            return run.exec();
        }
    }

    @Mixin
    private CommandRunOptions how;
    @Option(names = "--name", paramLabel = "NAME", description = "machine name, also its hostname (default flint)")
    private String name;
    @Mixin
    private MachineOptions machine;
    @Option(names = "--console", description = "copy the guest's serial console to stderr")
    private boolean console;
    @Option(names = "--timings", description = "print boot and command times on stderr")
    private boolean timings;
    @Parameters(paramLabel = "COMMAND", description = "the command and its arguments, after --")
    private List<String> words = new ArrayList<>();
    @Spec
    private CommandSpec spec;

    private final CliContext context;

    RunCommand(CliContext context) {
        this.context = context;
    }

    static Options parse(List<String> args) throws UsageException {
        return Flint.parse(Flint.withCommand("run", args), RunCommand.class).options();
    }

    @Override
    public int run() throws UsageException {
        return run(options(), context.err());
    }

    Options options() throws UsageException {
        GuestCommand command = GuestCommand.split(spec, words);
        if (!command.before().isEmpty()) {
            throw new UsageException("unknown option for run: " + command.before().get(0) + " (put the command after --)");
        }
        String reference = how.image().orElse(null);
        RunOptions run = how.runOptions();
        try {
            MachineConfig.Builder config = MachineConfig.builder();
            if (name != null) {
                config.name(name);
            }
            machine.apply(config);
            if (command.after().isEmpty() && reference == null) {
                throw new UsageException("run needs a command after --, e.g. flint run -- uname -a");
            }
            return new Options(config.build(), run, command.after(), console, timings, Optional.ofNullable(reference));
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
