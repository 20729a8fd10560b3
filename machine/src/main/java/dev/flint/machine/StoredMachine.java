package dev.flint.machine;

import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One row of the {@link MachineStore}: a machine as the server last recorded it. {@code seq} is
 * its creation order (list order and cursors); {@code hostPid} and {@code hostStartedAt} name
 * the process that holds its VM and disk lock (the start time tells a reused pid apart).
 */
record StoredMachine(long seq, String id, MachineConfig config, MachineState state, Instant createdAt,
                     Optional<Instant> startedAt, Optional<String> lastStopReason, OptionalLong hostPid,
                     Optional<Instant> hostStartedAt) {
    /** The info of a machine no process in this JVM holds: what the store knows. */
    MachineInfo info() {
        return new MachineInfo(config.name(), state, config.cpus(), config.memoryMb(), config.diskMb(), config.mounts(),
                Optional.empty(), java.util.List.of(), config.metadata(), createdAt,
                state == MachineState.RUNNING ? startedAt : Optional.empty(), Optional.empty(), lastStopReason, id);
    }
}
