package dev.flint.agent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The agent could not start the command (EXEC_FAILED): which step failed, its errno (number and
 * name), the path it concerned, and the agent's message. The connection stays usable.
 */
public final class ExecFailedException extends IOException {
    private static final long serialVersionUID = 1L;

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

    private final Step step;
    private final int errno;
    private final String errnoName;
    private final String path;

    /** {@code message} is the agent's, e.g. "chdir /srv: No such file or directory". */
    public ExecFailedException(Step step, int errno, String errnoName, String path, String message) {
        super(message + " (" + (errnoName.isEmpty() ? "" : errnoName + ", ") + "errno " + errno + ")");
        this.step = step;
        this.errno = errno;
        this.errnoName = errnoName;
        this.path = path;
    }

    /**
     * An EXEC_FAILED payload: {@code u32 errno, string step, string errno name, string path},
     * then the message; a payload that does not hold them is a protocol violation.
     */
    static ExecFailedException decode(byte[] payload) throws ProtocolViolationException {
        ByteBuffer in = ByteBuffer.wrap(payload);
        if (in.remaining() < 4) {
            throw new ProtocolViolationException("EXEC_FAILED payload of " + payload.length + " bytes, no errno");
        }
        int errno = in.getInt();
        String step = string(in, "step");
        String name = string(in, "errno name");
        String path = string(in, "path");
        String message = new String(payload, in.position(), in.remaining(), StandardCharsets.UTF_8);
        return new ExecFailedException(Step.of(step), errno, name, path, message);
    }

    private static String string(ByteBuffer in, String what) throws ProtocolViolationException {
        if (in.remaining() < 4) {
            throw new ProtocolViolationException("EXEC_FAILED payload ends before its " + what);
        }
        int length = in.getInt();
        if (length < 0 || length > in.remaining()) {
            throw new ProtocolViolationException("EXEC_FAILED " + what + " of " + Integer.toUnsignedString(length)
                    + " bytes, more than the " + in.remaining() + " left in its payload");
        }
        String text = new String(in.array(), in.position(), length, StandardCharsets.UTF_8);
        in.position(in.position() + length);
        return text;
    }

    public Step step() {
        return step;
    }

    /** The errno number, as the guest's kernel gave it. */
    public int errno() {
        return errno;
    }

    /** The errno's name ("ENOENT"); "" when the agent did not know it. */
    public String errnoName() {
        return errnoName;
    }

    /** The path the step concerned: the workdir for {@link Step#CHDIR}, the program for {@link Step#EXEC}; "" when none. */
    public String path() {
        return path;
    }
}
