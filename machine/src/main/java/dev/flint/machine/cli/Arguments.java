package dev.flint.machine.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/** A cursor over command-line arguments with typed, validated option values. */
final class Arguments {
    private final Deque<String> remaining;

    Arguments(List<String> args) {
        this.remaining = new ArrayDeque<>(args);
    }

    boolean hasNext() {
        return !remaining.isEmpty();
    }

    String next() {
        return remaining.poll();
    }

    /** The value after {@code option}, which must be there. */
    String value(String option) throws UsageException {
        String value = remaining.poll();
        if (value == null || value.startsWith("--")) {
            throw new UsageException(option + " needs a value");
        }
        return value;
    }

    int intValue(String option, int min, int max) throws UsageException {
        String value = value(option);
        try {
            int parsed = Integer.parseInt(value);
            if (parsed < min || parsed > max) {
                throw new UsageException(option + " must be between " + min + " and " + max + ", got " + parsed);
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw new UsageException(option + " needs a whole number, got '" + value + "'");
        }
    }

    Path existingFile(String option) throws UsageException {
        Path path = Path.of(value(option));
        if (!Files.isRegularFile(path)) {
            throw new UsageException(option + " " + path + ": no such file");
        }
        if (!Files.isReadable(path)) {
            throw new UsageException(option + " " + path + ": not readable");
        }
        return path;
    }
}
