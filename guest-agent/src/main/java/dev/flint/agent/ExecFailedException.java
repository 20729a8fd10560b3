package dev.flint.agent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The agent could not start the command (EXEC_FAILED): which step failed, its errno (number and
 * name), the path it concerned, and the agent's message. The connection stays usable.
 */
public final class ExecFailedException extends IOException {
    private static final long serialVersionUID = 1L;

    private final StartFailure failure;

    /** {@code message} is the agent's, e.g. "chdir /srv: No such file or directory". */
    public ExecFailedException(StartFailure failure, String message) {
        super(message + failure.suffix());
        this.failure = failure;
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
        return new ExecFailedException(new StartFailure(StartFailure.Step.of(step), errno, name, path), message);
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

    /** Which step failed, with its errno and path. */
    public StartFailure failure() {
        return failure;
    }
}
