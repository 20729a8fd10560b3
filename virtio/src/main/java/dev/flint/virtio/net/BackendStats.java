package dev.flint.virtio.net;

/**
 * A backend's counters at one moment.
 *
 * @param fromGuest      frames the guest sent that the backend passed on
 * @param toGuest        frames the backend produced for the guest
 * @param denied         guest frames dropped by the egress policy
 * @param malformed      guest frames dropped because their headers did not parse
 * @param sendFailures   guest frames the host side could not take (queue full, I/O error)
 */
public record BackendStats(long fromGuest, long toGuest, long denied, long malformed, long sendFailures) {
}
