package dev.flint.machine;

import dev.flint.agent.ExecFailedException.Step;

/**
 * The guest could not start the command: which step failed (chdir to the workdir, exec of the
 * program, the credentials, the image root...), its errno (name and number) and the path it
 * concerned. The machine and its agent are fine: it stays running and the next exec works.
 * Over HTTP it is {@code 422 exec_failed}; {@code flint exec} exits 127 when the program was not
 * found, else 126, as a shell does.
 */
public final class ExecStartException extends FlintException {
    private final Step step;
    private final int errno;
    private final String errnoName;
    private final String path;

    public ExecStartException(String message, Step step, int errno, String errnoName, String path) {
        super(message);
        this.step = step;
        this.errno = errno;
        this.errnoName = errnoName;
        this.path = path;
    }

    public Step step() {
        return step;
    }

    /** The errno number, as the guest's kernel gave it. */
    public int errno() {
        return errno;
    }

    /** The errno's name ("ENOENT"); "" when unknown. */
    public String errnoName() {
        return errnoName;
    }

    /** The workdir for {@link Step#CHDIR}, the program for {@link Step#EXEC}; "" when the step has none. */
    public String path() {
        return path;
    }

    /** Exec found no such program (ENOENT): what a shell reports as "command not found". */
    public boolean commandNotFound() {
        return step == Step.EXEC && ("ENOENT".equals(errnoName) || "ENOTDIR".equals(errnoName));
    }
}
