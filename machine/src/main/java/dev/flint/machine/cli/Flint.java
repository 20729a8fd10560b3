package dev.flint.machine.cli;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

/** The {@code flint} command: dispatches to its subcommands. */
public final class Flint {
    static final String USAGE = """
            Usage: flint COMMAND [OPTIONS]

            Commands:
              run      boot a machine, run a command in it, print its output: flint run -- uname -a
              boot     boot a microVM with Flint's guest kernel and stream its console
              doctor   check that machines work on this host and measure boot and exec times
              overhead measure the host memory the VMM adds per running idle machine
              help     show this help, or a command's: flint help boot

            Run 'flint COMMAND --help' for a command's options.
            """;

    private Flint() {
    }

    public static void main(String[] args) throws InterruptedException {
        System.exit(run(Arrays.asList(args), System.out, System.err));
    }

    static int run(List<String> args, PrintStream out, PrintStream err) throws InterruptedException {
        if (args.isEmpty() || isHelp(args.get(0)) || args.get(0).equals("help")) {
            String topic = args.size() > 1 ? args.get(1) : "";
            out.print(switch (topic) {
                case "boot" -> BootCommand.USAGE;
                case "run" -> RunCommand.USAGE;
                case "doctor" -> DoctorCommand.USAGE;
                case "overhead" -> OverheadCommand.USAGE;
                default -> USAGE;
            });
            return args.isEmpty() ? BootCommand.EXIT_USAGE : 0;
        }
        String command = args.get(0);
        List<String> rest = args.subList(1, args.size());
        try {
            return switch (command) {
                case "boot" -> {
                    if (rest.stream().anyMatch(Flint::isHelp)) {
                        out.print(BootCommand.USAGE);
                        yield 0;
                    }
                    yield BootCommand.run(BootCommand.parse(rest), out, err);
                }
                case "run" -> {
                    if (!rest.isEmpty() && isHelp(rest.get(0))) {
                        out.print(RunCommand.USAGE);
                        yield 0;
                    }
                    yield RunCommand.run(RunCommand.parse(rest), err);
                }
                case "doctor" -> {
                    if (rest.stream().anyMatch(Flint::isHelp)) {
                        out.print(DoctorCommand.USAGE);
                        yield 0;
                    }
                    yield DoctorCommand.run(rest, out, err);
                }
                case "overhead" -> {
                    if (rest.stream().anyMatch(Flint::isHelp)) {
                        out.print(OverheadCommand.USAGE);
                        yield 0;
                    }
                    yield OverheadCommand.run(rest, out, err);
                }
                default -> throw new UsageException("unknown command: " + command);
            };
        } catch (UsageException e) {
            err.println("flint: " + e.getMessage());
            err.println("Run 'flint " + (command.equals("boot") || command.equals("run") ? command + " " : "")
                    + "--help' for usage.");
            return BootCommand.EXIT_USAGE;
        }
    }

    private static boolean isHelp(String arg) {
        return arg.equals("--help") || arg.equals("-h");
    }
}
