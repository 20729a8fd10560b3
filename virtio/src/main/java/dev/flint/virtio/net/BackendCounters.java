package dev.flint.virtio.net;

import java.util.concurrent.atomic.LongAdder;

/** The counters every backend keeps, updated from several threads. */
final class BackendCounters {
    final LongAdder fromGuest = new LongAdder();
    final LongAdder toGuest = new LongAdder();
    final LongAdder denied = new LongAdder();
    final LongAdder malformed = new LongAdder();
    final LongAdder sendFailures = new LongAdder();

    /** Counts a filter verdict; true when the frame may go on. */
    boolean admit(EgressFilter.Verdict verdict) {
        switch (verdict) {
            case PASS -> {
                return true;
            }
            case DENIED -> denied.increment();
            case MALFORMED -> malformed.increment();
        }
        return false;
    }

    BackendStats snapshot() {
        return new BackendStats(fromGuest.sum(), toGuest.sum(), denied.sum(), malformed.sum(), sendFailures.sum());
    }
}
