package dev.flint.machine;

import java.time.Duration;

/**
 * Counters of a running machine since its last start, read from the host: vCPU threads' CPU
 * time, guest memory resident on the host (guest pages the guest touched and this machine alone
 * maps, counted page by page: not the VMM's own memory, nor memory file pages that forks of one
 * snapshot share until they write them), VM exits, and bytes through vsock, the disks, the shares
 * and the network.
 */
public record MachineMetrics(Duration vcpuTime, long guestMemoryResidentBytes, long vmExits, long vsockBytesToGuest,
                             long vsockBytesFromGuest, long diskBytesRead, long diskBytesWritten, long netFramesToGuest,
                             long netFramesFromGuest, long netFramesDenied) {
}
