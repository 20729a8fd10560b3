package dev.flint.machine.cli;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * The launcher's host check ({@code ./flint}'s require_kvm_host): the real script, copied into a
 * checkout of its own (a pom.xml, no sources) whose {@code mvn} is a stub that leaves a mark, so
 * the test sees whether the launcher went on to build. The /dev/kvm and PVM marker it looks at
 * are this test's files (FLINT_KVM_DEVICE, FLINT_PVM_MARKER).
 */
class LauncherHostCheckTest {
    private static final Path LAUNCHER = Path.of(System.getProperty("flint.root", "..")).toAbsolutePath().normalize()
            .resolve("flint");

    @TempDir
    Path dir;
    private Path kvm;
    private Path pvm;
    private Path built;

    record Result(int status, String err) {
    }

    @BeforeEach
    void checkout() throws IOException {
        Path root = Files.createDirectories(dir.resolve("checkout"));
        Files.copy(LAUNCHER, root.resolve("flint"));
        Files.writeString(root.resolve("pom.xml"), "<project/>\n");
        Path bin = Files.createDirectories(dir.resolve("bin"));
        built = dir.resolve("mvn-ran");
        Path mvn = Files.writeString(bin.resolve("mvn"), "#!/bin/sh\ntouch '" + built + "'\nexit 42\n");
        Files.setPosixFilePermissions(mvn, PosixFilePermissions.fromString("rwxr-xr-x"));
        kvm = dir.resolve("kvm");
        pvm = dir.resolve("kvm_pvm");
    }

    private Result launch(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("bash", dir.resolve("checkout/flint").toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        builder.environment().put("PATH", dir.resolve("bin") + ":" + System.getenv("PATH"));
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().remove("FLINT_JAVA_HOME");
        builder.environment().put("FLINT_CACHE", dir.resolve("cache").toString());
        builder.environment().put("FLINT_KVM_DEVICE", kvm.toString());
        builder.environment().put("FLINT_PVM_MARKER", pvm.toString());
        Process process = builder.start();
        process.getOutputStream().close();
        byte[] err = process.getErrorStream().readAllBytes();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the launcher did not end");
        return new Result(process.exitValue(), new String(err, StandardCharsets.UTF_8));
    }

    private void assertRefusedBeforeBuilding(Result result, String what) {
        assertEquals(3, result.status(), "exit 3, as the CLI's HostUnsupportedException: " + result.err());
        assertTrue(result.err().contains(what), result.err());
        assertTrue(result.err().contains("./flint rig -- ./flint run -- uname -a"), "the rig hint: " + result.err());
        assertFalse(Files.exists(built), "nothing was built: " + result.err());
    }

    @Test
    void noKvmDeviceIsRefusedBeforeBuilding() throws Exception {
        assertRefusedBeforeBuilding(launch("run", "--", "uname", "-a"), kvm + " does not exist");
    }

    @Test
    void pvmIsRefusedBeforeBuilding() throws Exception {
        Files.createFile(kvm);
        Files.createDirectory(pvm);
        for (String command : List.of("run", "boot", "doctor", "overhead", "soak")) {
            assertRefusedBeforeBuilding(launch(command), "is PVM");
        }
    }

    @Test
    void aDeviceThisUserCannotOpenIsRefusedBeforeBuilding() throws Exception {
        assumeFalse("root".equals(System.getProperty("user.name")), "root may open any file");
        Files.createFile(kvm, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("r--r--r--")));
        Result result = launch("run", "--", "true");
        assertEquals(3, result.status(), result.err());
        assertTrue(result.err().contains("permission denied on " + kvm), result.err());
        assertTrue(result.err().contains("usermod -aG kvm $USER"), result.err());
        assertFalse(Files.exists(built), result.err());
    }

    @Test
    void aUsableDeviceGoesOnToBuild() throws Exception {
        Files.createFile(kvm);
        Result result = launch("run", "--", "true");
        assertEquals(42, result.status(), "the stub mvn's status: " + result.err());
        assertTrue(Files.exists(built), "the launcher went on to build: " + result.err());
    }

    @Test
    void commandsThatDoNotBootHereAreNotChecked() throws Exception {
        for (List<String> args : List.of(List.of("serve"), List.of("ls"), List.of("run", "--help"),
                List.of("boot", "--dry-run"))) {
            Files.deleteIfExists(built);
            Result result = launch(args.toArray(String[]::new));
            assertEquals(42, result.status(), args + " went on to build without the check: " + result.err());
            assertTrue(Files.exists(built), args + ": " + result.err());
        }
    }
}
