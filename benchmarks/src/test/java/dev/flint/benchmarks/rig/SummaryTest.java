package dev.flint.benchmarks.rig;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SummaryTest {
    @Test
    void oddCountTakesTheMiddleSampleWhateverTheOrder() {
        Summary s = Summary.of(List.of(9.0, 1.0, 5.0, 3.0, 7.0));
        assertEquals(5.0, s.median());
        assertEquals(1.0, s.min());
        assertEquals(9.0, s.max());
        assertEquals(5, s.count());
    }

    @Test
    void evenCountAveragesTheTwoMiddleSamples() {
        assertEquals(2.5, Summary.of(List.of(4.0, 1.0, 3.0, 2.0)).median());
    }

    @Test
    void p90IsTheNearestRank() {
        // 10 samples 1..10: rank ceil(0.9 * 10) = 9 -> 9; 11 samples 1..11: rank ceil(9.9) = 10 -> 10.
        assertEquals(9.0, Summary.of(range(10)).p90());
        assertEquals(10.0, Summary.of(range(11)).p90());
        assertEquals(42.0, Summary.of(List.of(42.0)).p90());
    }

    @Test
    void halfRangeIsHalfTheSpread() {
        assertEquals(4.0, Summary.of(List.of(1.0, 9.0, 5.0)).halfRange());
    }

    @Test
    void noSamplesIsAnErrorThatSaysSo() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Summary.of(List.of()));
        assertTrue(e.getMessage().contains("no samples"), e.getMessage());
    }

    private static List<Double> range(int n) {
        return java.util.stream.IntStream.rangeClosed(1, n).mapToObj(i -> (double) i).toList();
    }
}
