package dev.flint.machine;

import java.time.Instant;

/**
 * A named snapshot ({@link Machine#snapshot(String)}): its name, the machine it was taken of, when,
 * and the resources a machine made from it has ({@link MachineConfig.Builder#fromSnapshot}).
 */
public record SnapshotInfo(String name, String source, Instant createdAt, int cpus, int memoryMb, int diskMb) {
}
