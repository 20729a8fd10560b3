package dev.flint.machine;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What {@link Machine#info()} tells about a machine at one moment: identity, state, resources,
 * network, and times; {@code id} is the stable id ({@link Machine#id()}). Ports are the bound ones (a host port 0 reads as the port chosen), empty
 * while the machine is stopped.
 */
public record MachineInfo(String name, MachineState state, int cpus, int memoryMb, int diskMb, List<MountSpec> mounts,
                          Optional<String> address, List<PortSpec> ports, Map<String, String> metadata,
                          Instant createdAt, Optional<Instant> startedAt, Optional<Duration> bootDuration,
                          Optional<String> lastStopReason, String id) {
    public MachineInfo {
        mounts = List.copyOf(mounts);
        ports = List.copyOf(ports);
        metadata = Map.copyOf(metadata);
    }
}
