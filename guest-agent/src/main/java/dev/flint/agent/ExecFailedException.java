package dev.flint.agent;

import java.io.IOException;

/** The agent could not start the command (no such file, not executable, bad workdir...). */
public final class ExecFailedException extends IOException {
    private static final long serialVersionUID = 1L;
    private final int errno;

    public ExecFailedException(String message, int errno) {
        super(message);
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
