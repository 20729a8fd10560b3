package dev.flint.vmm;

import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherFactory;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Every CI run runs the tests that need {@code /dev/kvm} (RealModeGuestIT, SmpGuestIT: every other
 * {@code *IT} of this module): where this host has a usable {@code /dev/kvm} they ran natively
 * and this test has nothing to add; where it has none they skipped, so this test runs them in
 * one nested-rig session ({@code rig/rig.sh}, QEMU TCG with emulated SVM) through the JUnit
 * launcher ({@link RigJUnitRunner}) and checks that every one of them was found and succeeded
 * there, as many as this JVM discovers. Needs {@code -Dflint.e2e=true} (what {@code ./flint test}
 * sets) for the rig.
 */
class KvmTestsInRigIT {
    private static final Pattern SUMMARY = Pattern.compile(
            "rig-junit: found=(\\d+) succeeded=(\\d+) failed=(\\d+) aborted=(\\d+) skipped=(\\d+)");
    private static final int RIG_TIMEOUT_SECONDS = 900;

    @Test
    void theKvmTestsPassInTheRigWhereThisHostHasNoKvm() throws Exception {
        try {
            KvmHost.local().requireKvmDevice();
            assumeTrue(false, "this host has a usable /dev/kvm: the /dev/kvm tests ran natively");
        } catch (HostUnsupportedException e) {
            assumeTrue(Boolean.getBoolean("flint.e2e"), "no usable /dev/kvm here (" + e.getMessage() + "), so the"
                    + " /dev/kvm tests run in the nested rig; run ./flint test (-Dflint.e2e=true)");
        }
        Path testClasses = Path.of(KvmTestsInRigIT.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        String[] classes = kvmTestClasses(testClasses);
        long expected = LauncherFactory.create().discover(RigJUnitRunner.request(classes))
                .countTestIdentifiers(TestIdentifier::isTest);
        assertTrue(expected > 0, "no /dev/kvm tests found in " + testClasses);

        List<String> classpath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> !entry.isEmpty() && Files.exists(Path.of(entry))).toList();
        Path root = Path.of(System.getProperty("flint.root", "..")).toAbsolutePath().normalize();
        List<String> command = new ArrayList<>(List.of(root.resolve("rig/rig.sh").toString(), "--cpus", "1",
                "--timeout", Integer.toString(RIG_TIMEOUT_SECONDS), "--workdir", root.toString()));
        for (String entry : classpath) {
            command.addAll(List.of("--include", Path.of(entry).toAbsolutePath().toString()));
        }
        command.addAll(List.of("--", "java", "--enable-native-access=ALL-UNNAMED", "-cp",
                String.join(File.pathSeparator, classpath), RigJUnitRunner.class.getName()));
        command.addAll(List.of(classes));
        String output = run(command, root);

        Matcher summary = SUMMARY.matcher(output);
        assertTrue(summary.find(), "the rig printed no JUnit summary:\n" + output);
        assertEquals(expected, Long.parseLong(summary.group(1)), "tests found in the rig:\n" + output);
        assertEquals(expected, Long.parseLong(summary.group(2)), "tests that succeeded in the rig:\n" + output);
        System.out.printf("KvmTestsInRigIT: %d /dev/kvm tests of %s passed in the nested rig%n", expected,
                String.join(", ", classes));
    }

    /** Every *IT class of this module but this one: the tests that need /dev/kvm. */
    private static String[] kvmTestClasses(Path testClasses) throws IOException {
        try (Stream<Path> files = Files.walk(testClasses)) {
            return files.map(testClasses::relativize).map(Path::toString)
                    .filter(name -> name.endsWith("IT.class") && !name.contains("$"))
                    .map(name -> name.substring(0, name.length() - ".class".length()).replace(File.separatorChar, '.'))
                    .filter(name -> !name.equals(KvmTestsInRigIT.class.getName())).sorted().toArray(String[]::new);
        }
    }

    /** Runs {@code command}, echoing its output as it comes; kills it if the rig's own timeout did not. */
    private static String run(List<String> command, Path workdir) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).directory(workdir.toFile()).redirectErrorStream(true).start();
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        Thread pump = Thread.ofPlatform().start(() -> {
            try (InputStream in = process.getInputStream()) {
                byte[] buffer = new byte[8192];
                for (int n; (n = in.read(buffer)) > 0; ) {
                    System.out.write(buffer, 0, n);
                    System.out.flush();
                    synchronized (output) {
                        output.write(buffer, 0, n);
                    }
                }
            } catch (IOException e) {
                // The process ended.
            }
        });
        if (!process.waitFor(RIG_TIMEOUT_SECONDS + 120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
        pump.join(10_000);
        synchronized (output) {
            return output.toString(StandardCharsets.UTF_8);
        }
    }
}
