package dev.flint.machine;

import dev.flint.agent.StartFailure;

/**
 * The guest could not start the command: which step failed (chdir to the workdir, exec of the
 * program, the credentials, the image root...), its errno (name and number) and the path it
 * concerned. The machine and its agent are fine: it stays running and the next exec works.
 * Over HTTP it is {@code 422 exec_failed}; {@code flint exec} exits 127 when the program was not
 * found, else 126, as a shell does.
 */
public final class ExecStartException extends FlintException {
    /** Which step failed, with its errno and path. */
    private final StartFailure failure;

    /** The error for {@code failure}, with {@code message} saying what happened and what to do. */
    public ExecStartException(String message, StartFailure failure) {
        super(message);
        this.failure = failure;
    }

    /** Which step failed, with its errno and path. */
    public StartFailure failure() {
        return failure;
    }

    /** Exec found no such program: what a shell reports as "command not found" (exit 127). */
    public boolean commandNotFound() {
        return failure.commandNotFound();
    }
}
