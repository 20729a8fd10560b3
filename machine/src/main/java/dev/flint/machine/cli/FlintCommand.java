package dev.flint.machine.cli;

/** A {@code flint} command whose options picocli has set: runs it and returns its exit status. */
interface FlintCommand {
    int run() throws UsageException, InterruptedException;
}
