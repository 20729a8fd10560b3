package dev.flint.machine.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

import java.io.PrintStream;
import java.util.List;

/**
 * A wrong command line, said in one line ({@code flint: ...}), then suggestions for a
 * typo ({@link Suggestions}) and where the usage is; exit status 2. picocli's own messages are reworded into the ones
 * Flint has always printed ("--cpus needs a value", "unknown option for boot: --x").
 */
final class UsageErrors {
    private UsageErrors() {
    }

    static int report(CommandLine.ParameterException e, PrintStream err) {
        return report(message(e), e.getCommandLine(), e instanceof CommandLine.UnmatchedArgumentException u ? u : null, err);
    }

    static int report(String message, CommandLine where, CommandLine.UnmatchedArgumentException typo, PrintStream err) {
        err.println("flint: " + message);
        if (typo != null && !typo.getUnmatched().isEmpty()) {
            List<String> suggestions = Suggestions.of(typo.getUnmatched().get(0), where);
            if (!suggestions.isEmpty()) {
                err.println("Did you mean: " + String.join(" or ", suggestions) + "?");
            }
        }
        String command = name(where);
        err.println("Run 'flint " + (command.isEmpty() ? "" : command + " ") + "--help' for usage.");
        return ExitCodes.USAGE;
    }

    /** The one line for {@code e}. */
    static String message(CommandLine.ParameterException e) {
        String command = name(e.getCommandLine());
        if (e instanceof CommandLine.UnmatchedArgumentException unmatched && !unmatched.getUnmatched().isEmpty()) {
            String first = unmatched.getUnmatched().get(0);
            if (first.startsWith("-")) {
                return "unknown option" + (command.isEmpty() ? "" : " for " + command) + ": " + first;
            }
            if (command.isEmpty()) {
                return "unknown command: " + first;
            }
            return (e.getCommandLine().getSubcommands().isEmpty() ? "unknown argument for " : "unknown subcommand of ")
                    + command + ": " + first;
        }
        if (e instanceof CommandLine.MissingParameterException missing && !missing.getMissing().isEmpty()) {
            if (missing.getMissing().get(0) instanceof OptionSpec option) {
                return option.longestName() + " needs a value";
            }
            return command + " needs " + missing.getMissing().get(0).paramLabel();
        }
        if (e.getArgSpec() instanceof OptionSpec option) {
            if (e.getCause() instanceof CommandLine.TypeConversionException conversion) {
                return option.longestName() + " " + conversion.getMessage();
            }
        }
        return e.getMessage();
    }

    /** {@code create}, {@code snapshots rm}: the command's words after {@code flint}; empty for flint itself. */
    static String name(CommandLine command) {
        String qualified = command.getCommandSpec().qualifiedName();
        int space = qualified.indexOf(' ');
        return space < 0 ? "" : qualified.substring(space + 1);
    }
}
