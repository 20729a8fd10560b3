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
        String step = Frame.string(in, "EXEC_FAILED", "step");
        String name = Frame.string(in, "EXEC_FAILED", "errno name");
        String path = Frame.string(in, "EXEC_FAILED", "path");
        String message = new String(payload, in.position(), in.remaining(), StandardCharsets.UTF_8);
        return new ExecFailedException(new StartFailure(StartFailure.Step.of(step), errno, name, path), message);
    }

    /** Which step failed, with its errno and path. */
    public StartFailure failure() {
        return failure;
    }
}
