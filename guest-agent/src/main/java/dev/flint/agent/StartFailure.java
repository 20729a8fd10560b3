package dev.flint.agent;

import java.util.Locale;

/**
 * Why the agent could not start a command (EXEC_FAILED, PROTOCOL.md "Start failures"): the step
 * that failed, its errno (number and name, as the guest's kernel gave it) and the path it
 * concerned: the workdir for {@link Step#CHDIR}, the program for {@link Step#EXEC}, else "".
 */
public record StartFailure(Step step, int errno, String errnoName, String path) {
    /** The step that failed, as PROTOCOL.md names it ("image-root" is {@link #IMAGE_ROOT}). */
    public enum Step {
        /** The agent refused the request itself (over a limit, too many processes...). */
        REQUEST,
        PIPE,
        FORK,
        /** Entering an image root: an overlay, a mount, pivot_root... */
        IMAGE_ROOT,
        CHDIR,
        SETGROUPS,
        SETGID,
        SETUID,
        /** execve: not found, not executable, argv too long... */
        EXEC,
        /** Opening the pseudo-terminal of an exec on a terminal, or making it the controlling one. */
        TERMINAL,
        /** A step this client does not know (a newer agent). */
        OTHER;

        /** The step's name on the wire and in messages: "chdir", "image-root". */
        public String wireName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        public static Step of(String wireName) {
            for (Step step : values()) {
                if (step != OTHER && step.wireName().equals(wireName)) {
                    return step;
                }
            }
            return OTHER;
        }
    }

    /** A failure known only by its message (from a server that sent no details). */
    public static final StartFailure UNKNOWN = new StartFailure(Step.OTHER, 0, "", "");

    /** Exec found no such program (ENOENT): what a shell reports as "command not found". */
    public boolean commandNotFound() {
        return step == Step.EXEC && ("ENOENT".equals(errnoName) || "ENOTDIR".equals(errnoName));
    }

    /** How messages end: " (ENOENT, errno 2)". */
    String suffix() {
        return " (" + (errnoName.isEmpty() ? "" : errnoName + ", ") + "errno " + errno + ")";
    }
}
