package dev.flint.benchmarks.rig;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RatioTest {
    private static Metric metric(String name, String unit, Double... samples) {
        return new Metric(name, unit, name, List.of(samples));
    }

    @Test
    void pairsTheSamplesRoundByRound() {
        Ratio r = Ratio.of("boot", "d", metric("flint", "ms", 50.0, 60.0, 40.0), metric("qemu", "ms", 100.0, 100.0, 200.0));
        assertEquals(List.of(0.5, 0.6, 0.2), r.perRound());
        assertEquals(0.5, r.summary().median());
        assertEquals("flint", r.flintMetric());
        assertEquals("qemu", r.peerMetric());
    }

    @Test
    void noiseIsHalfTheSpreadOfTheRoundRatios() {
        Ratio r = Ratio.of("boot", "d", metric("f", "ms", 1.0, 3.0, 2.0), metric("p", "ms", 2.0, 2.0, 2.0));
        // per round 0.5, 1.5, 1.0 -> spread 1.0 -> noise 0.5
        assertEquals(0.5, r.noise(), 1e-12);
    }

    @Test
    void differentSampleCountsCannotBePaired() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Ratio.of("x", "d", metric("f", "ms", 1.0, 2.0), metric("p", "ms", 1.0)));
        assertTrue(e.getMessage().contains("one sample of each per round"), e.getMessage());
    }

    @Test
    void differentUnitsCannotBeDivided() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Ratio.of("x", "d", metric("f", "ms", 1.0), metric("p", "us", 1.0)));
        assertTrue(e.getMessage().contains("in ms by p in us"), e.getMessage());
    }
}
