package dev.flint.machine.cli;

/** The command line is wrong; the message is the one line the user sees before the usage hint. */
public final class UsageException extends Exception {
    public UsageException(String message) {
        super(message);
    }
}
