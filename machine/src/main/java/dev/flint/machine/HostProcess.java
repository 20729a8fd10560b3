package dev.flint.machine;

import java.time.Instant;
import java.util.Optional;

/** The process that hosts machines: this one, and whether a recorded one still lives. */
record HostProcess(long pid, Optional<Instant> startedAt) {
    static HostProcess current() {
        ProcessHandle self = ProcessHandle.current();
        return new HostProcess(self.pid(), self.info().startInstant());
    }

    /**
     * Whether the process recorded as {@code pid}, started at {@code startedAt}, still runs: a
     * live pid with another start time is a reused pid, so the recorded process is gone.
     */
    static boolean isAlive(long pid, Optional<Instant> startedAt) {
        Optional<ProcessHandle> handle = ProcessHandle.of(pid);
        if (handle.isEmpty() || !handle.get().isAlive()) {
            return false;
        }
        Optional<Instant> actual = handle.get().info().startInstant();
        return startedAt.isEmpty() || actual.isEmpty() || actual.get().toEpochMilli() == startedAt.get().toEpochMilli();
    }
}
