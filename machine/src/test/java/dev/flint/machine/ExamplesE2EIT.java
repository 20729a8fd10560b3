package dev.flint.machine;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * End to end, Flint as a library: the standalone Maven project in {@code examples/} builds against
 * {@code dev.flint:flint-machine} as installed in the local Maven repository ({@code ./flint test}
 * installs it first, as {@code ./flint install} does for a user), and each example runs as an
 * embedding application would, with plain {@code java} and the JVM flags the README gives: Hello
 * (create, exec), Files (write, a command on the file, read back), Fork (clones with their own
 * hostnames over the parent's files), Image (an OCI layout built by umoci, loaded and run).
 * Natively on hardware KVM, in the nested rig elsewhere.
 */
class ExamplesE2EIT {
    private static final List<String> EXAMPLES = List.of("Hello", "Files", "Fork", "Image");

    @Test
    void theExamplesBuildAgainstTheInstalledArtifactsAndRun() throws Exception {
        assumeTrue(Boolean.getBoolean("flint.e2e"),
                "end-to-end machines need the guest images and hardware KVM or the nested rig; run ./flint test");
        Path layout = E2E.testImages("layers").resolve("layers");   // 1 MiB, umoci's: the python one would add 58 MiB to the rig
        Path examples = E2E.root().resolve("examples");
        E2E.Result build = E2E.run(List.of(examples.resolve("run.sh").toString(), "--build-only"), E2E.root(),
                Duration.ofMinutes(10));
        assertEquals(0, build.exitCode(), "the examples build against the installed flint-machine (./flint install):\n"
                + build.output());
        assertTrue(Files.isDirectory(examples.resolve("target/lib")), "the build copied the runtime jars");

        E2E.Result result = E2E.runScript("FLINT_EXAMPLE_IMAGE=" + layout + " " + examples.resolve("run.sh") + " --no-build",
                1200, examples.toString(), layout.toString());
        String output = result.output();
        assertEquals(0, result.exitCode(), "every example ran:\n" + output);
        for (String example : EXAMPLES) {
            assertTrue(output.contains("== " + example + ": ok"), example + " ran and checked its own result:\n" + output);
        }
        assertTrue(output.contains("Linux"), "Hello printed the guest's uname -a:\n" + output);
        assertTrue(output.contains("in-the-image"), "Image ran its command in the loaded image:\n" + output);
    }
}
