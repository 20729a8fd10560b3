package dev.flint.benchmarks.rig;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RigBenchOptionsTest {
    private static final List<String> REQUIRED = List.of("--qemu", "/q", "--module-path", "/lib", "--classes", "/c");

    @Test
    void defaultsAreFiveRoundsOfFiftyExecs() {
        RigBenchOptions o = RigBenchOptions.parse(REQUIRED);
        assertEquals(5, o.rounds());
        assertEquals(50, o.execRounds());
        assertEquals(5, o.bigExecRounds());
        assertEquals(Path.of("/q"), o.qemu());
        assertTrue(o.peerExec());
        assertTrue(o.peerRestore(), "QEMU's restore is measured by default");
        assertFalse(o.flintRestore(), "Flint's restore rows wait for --restore");
    }

    @Test
    void restoreFlagsTakeNoValueAndMixWithOthers() {
        List<String> args = new java.util.ArrayList<>(List.of("--restore"));
        args.addAll(REQUIRED);
        args.addAll(List.of("--no-peer-restore", "--rounds", "3"));
        RigBenchOptions o = RigBenchOptions.parse(args);
        assertTrue(o.flintRestore());
        assertFalse(o.peerRestore());
        assertTrue(o.peerExec());
        assertEquals(3, o.rounds());
        assertEquals(Path.of("/q"), o.qemu());
    }

    @Test
    void readsEveryOption() {
        List<String> args = new java.util.ArrayList<>(REQUIRED);
        args.addAll(List.of("--rounds", "2", "--exec", "7", "--exec-1mib", "1", "--no-peer-exec",
                "--condition", "host=a=b"));
        RigBenchOptions o = RigBenchOptions.parse(args);
        assertEquals(2, o.rounds());
        assertEquals(7, o.execRounds());
        assertEquals(1, o.bigExecRounds());
        assertFalse(o.peerExec());
        assertEquals(Map.of("host", "a=b"), o.conditions());
    }

    @Test
    void badValuesSayWhatIsWrong() {
        List<String> zero = new java.util.ArrayList<>(REQUIRED);
        zero.addAll(List.of("--rounds", "0"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RigBenchOptions.parse(zero))
                .getMessage().contains("--rounds wants a positive integer"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RigBenchOptions.parse(List.of("--rounds", "3")))
                .getMessage().contains("are required"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RigBenchOptions.parse(List.of("--qemu")))
                .getMessage().contains("needs a value"));
    }
}
