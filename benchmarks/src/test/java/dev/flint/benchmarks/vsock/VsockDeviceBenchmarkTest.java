package dev.flint.benchmarks.vsock;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The benchmark's loop must survive millions of operations: credit has to flow both ways. */
class VsockDeviceBenchmarkTest {
    /** 20,000 packets of 64 bytes: 1.2 MiB, nearly five times the 256 KiB each side grants the other. */
    private static final int PACKETS = 20_000;

    private final VsockDeviceBenchmark benchmark = new VsockDeviceBenchmark();

    @BeforeEach
    void connect() throws Exception {
        benchmark.connect();
    }

    @AfterEach
    void close() {
        benchmark.close();
    }

    @Test
    void hostToGuestKeepsGoingPastTheGuestsCredit() throws Exception {
        for (int i = 0; i < PACKETS; i++) {
            assertEquals(64, benchmark.hostToGuest());
        }
    }

    @Test
    void guestToHostKeepsGoingWhileTheHostGrantsCredit() throws Exception {
        for (int i = 0; i < PACKETS; i++) {
            assertEquals(64, benchmark.guestToHost());
        }
    }
}
