package dev.flint.agent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The agent could not do every step of a {@link Renewal} (RENEW_FAILED): which steps failed,
 * each with its errno. The agent tries every step even after one failed, so the others are done.
 * The connection stays usable.
 */
public final class RenewFailedException extends IOException {
    private static final long serialVersionUID = 1L;
    /** More failures than an agent has steps is a protocol violation. */
    static final int MAX_FAILURES = 16;

    /** A step of the renewal, as PROTOCOL.md names it. */
    public enum Step {
        /** The agent refused the request itself (over a limit, malformed): nothing was done. */
        REQUEST,
        /** clock_settime(CLOCK_REALTIME). */
        CLOCK,
        /** RNDADDENTROPY: mixing the bytes into the kernel's pool. */
        ENTROPY,
        /** RNDRESEEDCRNG: the kernel's RNG taking new keys from its pool. */
        RESEED,
        /** sethostname. */
        HOSTNAME,
        /** A step this client does not know (a newer agent). */
        OTHER;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
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

    /** One failed step: its errno (number and name, as the guest's kernel gave it) and the agent's message. */
    public record Failure(Step step, int errno, String errnoName, String message) {
        @Override
        public String toString() {
            return step.wireName() + ": " + message + " (" + (errnoName.isEmpty() ? "" : errnoName + ", ")
                    + "errno " + errno + ")";
        }
    }

    private final List<Failure> failures;

    public RenewFailedException(List<Failure> failures) {
        super("the guest's agent could not renew it: "
                + failures.stream().map(Failure::toString).collect(Collectors.joining("; ")));
        this.failures = List.copyOf(failures);
    }

    /** The steps that failed, in the order the agent tried them. */
    public List<Failure> failures() {
        return failures;
    }

    /**
     * A RENEW_FAILED payload: {@code u32} count (1 to {@value #MAX_FAILURES}), then per failure
     * {@code u32 errno}, string step, string errno name, string message, and nothing after.
     */
    static RenewFailedException decode(byte[] payload) throws ProtocolViolationException {
        ByteBuffer in = ByteBuffer.wrap(payload);
        if (in.remaining() < 4) {
            throw new ProtocolViolationException("RENEW_FAILED payload of " + payload.length + " bytes, no count");
        }
        int count = in.getInt();
        if (count < 1 || count > MAX_FAILURES) {
            throw new ProtocolViolationException("RENEW_FAILED with " + Integer.toUnsignedString(count)
                    + " failures; it has 1 to " + MAX_FAILURES);
        }
        List<Failure> failures = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            if (in.remaining() < 4) {
                throw new ProtocolViolationException("RENEW_FAILED payload ends before failure " + i + "'s errno");
            }
            int errno = in.getInt();
            String step = Frame.string(in, "RENEW_FAILED", "step");
            String name = Frame.string(in, "RENEW_FAILED", "errno name");
            String message = Frame.string(in, "RENEW_FAILED", "message");
            failures.add(new Failure(Step.of(step), errno, name, message));
        }
        if (in.hasRemaining()) {
            throw new ProtocolViolationException("RENEW_FAILED payload has " + in.remaining() + " bytes after its "
                    + count + " failures");
        }
        return new RenewFailedException(failures);
    }
}
