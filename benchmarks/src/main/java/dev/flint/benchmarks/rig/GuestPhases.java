package dev.flint.benchmarks.rig;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The guest's own account of its boot, from the agent's ready line ({@code flint-agent: ready
 * (vsock port N, kernel K ms, init I ms)}, guest-agent/PROTOCOL.md): the kernel's boot by its
 * own clock up to running the agent, and the agent's start-up to ready. The same line under
 * every VMM, so the two kernel phases can be set side by side.
 */
record GuestPhases(long kernelMs, long initMs) {
    private static final Pattern READY = Pattern.compile("flint-agent: ready \\(vsock port [0-9]+, kernel ([0-9]{1,9}) ms,"
            + " init ([0-9]{1,9}) ms\\)");

    /** The phases in {@code line}, empty for a ready line from an agent that does not print them. */
    static Optional<GuestPhases> of(String line) {
        Matcher m = READY.matcher(line);
        return m.find() ? Optional.of(new GuestPhases(Long.parseLong(m.group(1)), Long.parseLong(m.group(2))))
                : Optional.empty();
    }
}
