package dev.flint.benchmarks.kvm;

import dev.flint.vmm.HostUnsupportedException;
import dev.flint.vmm.KvmHost;

import java.util.Optional;

/**
 * Whether the KVM benchmarks can run here. The suite runner asks before it starts them, so a host
 * without {@code /dev/kvm} skips them with one clear line instead of a stack trace per benchmark.
 */
public final class KvmAvailability {
    /** Matches every benchmark in this package, all of which need /dev/kvm. */
    public static final String BENCHMARK_PATTERN = "dev\\.flint\\.benchmarks\\.kvm\\..*";

    private KvmAvailability() {
    }

    /** Why the KVM benchmarks cannot run, or empty when they can. */
    public static Optional<String> missingReason() {
        try {
            KvmHost.local().requireKvmDevice();
            return Optional.empty();
        } catch (HostUnsupportedException e) {
            return Optional.of(e.getMessage());
        }
    }

    /** For a benchmark's setup when run directly: fails with the reason rather than an errno. */
    static void require() {
        missingReason().ifPresent(reason -> {
            throw new IllegalStateException("KVM benchmark skipped: " + reason);
        });
    }
}
