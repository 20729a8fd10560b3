package dev.flint.machine.cli;

import picocli.CommandLine.Model.CommandSpec;

import java.util.List;

/**
 * The positional arguments of a command that takes a guest command after {@code --}
 * ({@code flint exec NAME -- ls -la}), split where the separator was: picocli hands them over as
 * one list, every argument after {@code --} being positional, whatever it looks like.
 */
record GuestCommand(List<String> before, List<String> after, boolean separated) {
    static GuestCommand split(CommandSpec spec, List<String> positionals) {
        List<String> original = spec.commandLine().getParseResult().originalArgs();
        int separator = original.indexOf("--");
        if (separator < 0) {
            return new GuestCommand(List.copyOf(positionals), List.of(), false);
        }
        int after = Math.min(original.size() - separator - 1, positionals.size());
        int cut = positionals.size() - after;
        return new GuestCommand(List.copyOf(positionals.subList(0, cut)), List.copyOf(positionals.subList(cut,
                positionals.size())), true);
    }
}
