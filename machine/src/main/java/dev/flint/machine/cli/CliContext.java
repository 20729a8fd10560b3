package dev.flint.machine.cli;

import java.io.PrintStream;
import java.util.Map;

/** What one run of the {@code flint} command works with: its streams, its environment, and how it starts a local server. */
record CliContext(PrintStream out, PrintStream err, Map<String, String> env, AutoServer.Starter starter) {
}
