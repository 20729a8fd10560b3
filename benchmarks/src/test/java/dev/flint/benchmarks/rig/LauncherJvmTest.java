package dev.flint.benchmarks.rig;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The rig's launcher-started fresh JVM is started as {@code ./flint} starts it: the launcher's own list, read from it. */
class LauncherJvmTest {
    private static final Path LAUNCHER = Path.of("..", "flint").toAbsolutePath().normalize();

    @Test
    void oneShotOptionsAreTheLaunchers() throws Exception {
        String script = "set -euo pipefail; JAVA_HOME='" + System.getProperty("java.home") + "'; source '" + LAUNCHER
                + "'; printf '%s\\n' \"${ONE_SHOT_JVM[@]}\"";
        Process bash = new ProcessBuilder("bash", "-c", script).redirectErrorStream(true).start();
        bash.getOutputStream().close();
        String out = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(bash.waitFor(60, TimeUnit.SECONDS), "bash did not end");
        assertEquals(0, bash.exitValue(), out);
        assertEquals(LauncherJvm.ONE_SHOT_OPTIONS, List.of(out.strip().split("\n")));
    }

    @Test
    void aCachedStartFailsRatherThanRunColdAndATrainingWritesTheCache() {
        Path cache = Path.of("/tmp/x.aot");
        List<String> start = LauncherJvm.startingFrom(cache);
        assertEquals(LauncherJvm.ONE_SHOT_OPTIONS, start.subList(0, 3));
        assertEquals(List.of("-XX:AOTMode=on", "-XX:AOTCache=/tmp/x.aot"), start.subList(3, start.size()));
        assertEquals(List.of("-XX:AOTCacheOutput=/tmp/x.aot"), LauncherJvm.training(cache).subList(3, 4));
    }
}
