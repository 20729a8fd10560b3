package dev.flint.machine;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What {@link Machine#info()} tells about a machine at one moment: identity, state, resources,
 * network, and times; {@code id} is the stable id ({@link Machine#id()}). Ports are the bound ones (a host port 0 reads as the port chosen), empty
 * while the machine is stopped. {@code lastStopReason} says why it last stopped (e.g. "stopped by
 * the host", "the guest ended: POWER_OFF: ...", "boot failed: ..."); after a crash it starts with
 * {@link #CRASHED} ({@link #crashed()}).
 */
public record MachineInfo(String name, MachineState state, int cpus, int memoryMb, int diskMb, List<MountSpec> mounts,
                          Optional<String> address, List<PortSpec> ports, Map<String, String> metadata,
                          Instant createdAt, Optional<Instant> startedAt, Optional<Duration> bootDuration,
                          Optional<String> lastStopReason, String id) {
    /** How {@link #lastStopReason()} begins when the guest crashed: a kernel panic, a triple fault, an unannounced reset. */
    public static final String CRASHED = "crashed: ";
    /** The metadata key under which Flint records {@link #warmPoolCheckout()} of a machine created with a warm pool. */
    public static final String WARM_POOL_CHECKOUT = "flint.dev/warm-pool-checkout";
    /** The metadata key under which Flint records {@link #templateColdBoot()}. */
    public static final String TEMPLATE_COLD_BOOT = "flint.dev/template-cold-boot";

    /** Copies the collections: the record is immutable. */
    public MachineInfo {
        mounts = List.copyOf(mounts);
        ports = List.copyOf(ports);
        metadata = Map.copyOf(metadata);
    }

    /**
     * Which way the create went for a machine made with a warm pool ({@link MachineConfig.Builder#warmPool}):
     * checked out warm, a cold fallback, or the pool bypassed; empty for a machine made without one.
     */
    public Optional<WarmPoolCheckout> warmPoolCheckout() {
        return Optional.ofNullable(metadata.get(WARM_POOL_CHECKOUT)).flatMap(value -> {
            try {
                return Optional.of(WarmPoolCheckout.valueOf(value));
            } catch (IllegalArgumentException e) {
                return Optional.empty();   // not Flint's value: a label the user set
            }
        });
    }

    /**
     * Why a machine of a template was booted cold from the template's spec instead of restored
     * from its snapshot (the snapshot is gone, or was taken on another CPU vendor or by a Flint of
     * another snapshot format); empty for a restored machine and one made without a template.
     */
    public Optional<String> templateColdBoot() {
        return Optional.ofNullable(metadata.get(TEMPLATE_COLD_BOOT));
    }

    /** Whether the machine last stopped because its guest crashed; it is {@link MachineState#STOPPED} then. */
    public boolean crashed() {
        return lastStopReason.map(reason -> reason.startsWith(CRASHED)).orElse(false);
    }
}
