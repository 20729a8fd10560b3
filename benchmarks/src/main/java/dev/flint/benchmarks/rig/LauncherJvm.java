package dev.flint.benchmarks.rig;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How {@code ./flint} starts the JVM of a one-shot command ({@code flint run}, {@code exec}, every
 * command but {@code serve}): its options, and the AOT cache a start uses or a training run writes.
 * The fresh-process row measured this way is what a user's {@code flint run} pays.
 */
final class LauncherJvm {
    /** The launcher's {@code ONE_SHOT_JVM}, in its order ({@code LauncherJvmTest} reads the launcher). */
    static final List<String> ONE_SHOT_OPTIONS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-XX:-UsePerfData");

    private LauncherJvm() {
    }

    /** The options of a start from {@code cache}; {@code AOTMode=on}: a cache the JVM cannot use fails the start, never a silent cold one. */
    static List<String> startingFrom(Path cache) {
        List<String> options = new ArrayList<>(ONE_SHOT_OPTIONS);
        options.addAll(List.of("-XX:AOTMode=on", "-XX:AOTCache=" + cache));
        return options;
    }

    /** The options of a training run that writes {@code cache} when the JVM exits. */
    static List<String> training(Path cache) {
        List<String> options = new ArrayList<>(ONE_SHOT_OPTIONS);
        options.add("-XX:AOTCacheOutput=" + cache);
        return options;
    }
}
