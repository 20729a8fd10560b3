package dev.flint.benchmarks.rig;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

class GuestPhasesTest {
    @Test
    void readsBothPhasesFromTheReadyLineAsTheConsoleCarriesIt() {
        assertEquals(Optional.of(new GuestPhases(812, 95)),
                GuestPhases.of("[    1.2] flint-agent: ready (vsock port 1024, kernel 812 ms, init 95 ms)\r"));
    }

    @Test
    void anOlderAgentsLineOrAnotherLineHasNone() {
        assertEquals(Optional.empty(), GuestPhases.of("flint-agent: ready (vsock port 1024)"));
        assertEquals(Optional.empty(), GuestPhases.of("flint-agent: ready (vsock port 1024, kernel ms, init 1 ms)"));
        assertEquals(Optional.empty(), GuestPhases.of("Run /bin/flint-agent"));
    }
}
