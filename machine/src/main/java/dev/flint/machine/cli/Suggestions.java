package dev.flint.machine.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * What a mistyped command or option probably meant: the names of the command's subcommands (or
 * options) within a small edit distance, a swap of two neighbouring letters counting as one edit
 * ("craete" is one from "create"). picocli's own suggestions compare letter pairs, which a swap
 * breaks, so they miss exactly the commonest typo.
 */
final class Suggestions {
    private static final int MAX_SUGGESTIONS = 3;

    private Suggestions() {
    }

    /** "flint create", "--cpus": the names {@code typo} is closest to among what {@code command} accepts. */
    static List<String> of(String typo, CommandLine command) {
        boolean option = typo.startsWith("-");
        String word = option ? typo.split("=", 2)[0] : typo;
        List<String> candidates = new ArrayList<>();
        if (option) {
            for (OptionSpec spec : command.getCommandSpec().options()) {
                if (!spec.hidden()) {
                    candidates.addAll(List.of(spec.names()));
                }
            }
        } else {
            for (Map.Entry<String, CommandLine> sub : command.getSubcommands().entrySet()) {
                if (!sub.getValue().getCommandSpec().usageMessage().hidden()) {
                    candidates.add(sub.getKey());
                }
            }
        }
        int allowed = Math.max(1, Math.min(3, word.length() / 3));
        String prefix = option ? "" : command.getCommandSpec().qualifiedName() + " ";
        return candidates.stream().distinct()
                .filter(c -> distance(word, c) <= allowed)
                .sorted(Comparator.comparingInt((String c) -> distance(word, c)).thenComparing(c -> c))
                .limit(MAX_SUGGESTIONS)
                .map(c -> prefix + c)
                .toList();
    }

    /** Edits (insert, delete, replace, swap of neighbours) from {@code a} to {@code b}: the optimal string alignment distance. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
