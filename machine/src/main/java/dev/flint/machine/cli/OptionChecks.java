package dev.flint.machine.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** The checks of option values that picocli's types do not make: ranges, KEY=VALUE pairs, existing files. */
final class OptionChecks {
    private OptionChecks() {
    }

    static int between(String option, int value, int min, int max) throws UsageException {
        if (value < min || value > max) {
            throw new UsageException(option + " must be between " + min + " and " + max + ", got " + value);
        }
        return value;
    }

    static String[] keyValue(String option, String pair) throws UsageException {
        int eq = pair.indexOf('=');
        if (eq <= 0) {
            throw new UsageException(option + " needs KEY=VALUE, got '" + pair + "'");
        }
        return new String[] {pair.substring(0, eq), pair.substring(eq + 1)};
    }

    static Path existingFile(String option, Path path) throws UsageException {
        if (!Files.isRegularFile(path)) {
            throw new UsageException(option + " " + path + ": no such file");
        }
        if (!Files.isReadable(path)) {
            throw new UsageException(option + " " + path + ": not readable");
        }
        return path;
    }
}
