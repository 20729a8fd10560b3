package dev.flint.machine.cli;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The launcher's guest-image check ({@code ./flint}'s build_guest_images): its JVM runs once, then
 * not again until something it reads changes. Sourced in bash, with a stand-in java that logs each
 * start and reports nothing missing, and a stand-in agent build.
 */
class LauncherGuestImagesTest {
    private static final Path LAUNCHER = Path.of(System.getProperty("flint.root", "..")).toAbsolutePath().normalize()
            .resolve("flint");

    @TempDir
    Path dir;

    @BeforeEach
    void standIns() throws IOException {
        executable(dir.resolve("jdk/bin/java"), "#!/bin/sh\necho \"$@\" >>" + dir.resolve("java.log") + "\n");
        executable(dir.resolve("root/guest-agent/build-agent.sh"), "#!/bin/sh\n");
        Files.createDirectories(dir.resolve("cache/agent"));
        Files.writeString(dir.resolve("cache/agent/flint-agent"), "agent v1");
        Files.writeString(dir.resolve("build-stamp"), "");
    }

    @Test
    void theCheckRunsOnceThenAgainOnlyWhenWhatItReadsChanges() throws Exception {
        check();
        check();
        assertEquals(1, javaStarts(), "the second check found the same stamp");

        Path rebuilt = Files.writeString(dir.resolve("cache/agent/flint-agent.partial"), "agent v2, rebuilt");
        Files.move(rebuilt, dir.resolve("cache/agent/flint-agent"), StandardCopyOption.REPLACE_EXISTING);
        check();
        assertEquals(2, javaStarts(), "a rebuilt agent is checked again");

        Files.createDirectories(dir.resolve("cache/initramfs/0123456789abcdef"));
        Files.writeString(dir.resolve("cache/initramfs/0123456789abcdef/initramfs.cpio"), "cpio");
        check();
        assertEquals(3, javaStarts(), "a new (or removed) initramfs is checked again");

        Files.delete(dir.resolve("cache/guest-images.checked"));
        check();
        assertEquals(4, javaStarts(), "no record of a passed check");
        check();
        assertEquals(4, javaStarts());
    }

    private void check() throws IOException, InterruptedException {
        String script = "set -euo pipefail; source " + quoted(LAUNCHER.toString()) + "\n"
                + "ROOT=" + quoted(dir.resolve("root").toString()) + " JAVA_HOME=" + quoted(dir.resolve("jdk").toString())
                + " FLINT_CACHE=" + quoted(dir.resolve("cache").toString()) + " BUILD_STAMP=" + quoted(dir.resolve("build-stamp").toString())
                + "\napt_install() { :; }; slirp_library() { echo /libslirp.so.0; }\nbuild_guest_images\n";
        ProcessBuilder builder = new ProcessBuilder("bash", "-c", script).redirectErrorStream(true);
        builder.environment().remove("FLINT_AGENT");
        builder.environment().remove("FLINT_KERNEL");
        builder.environment().remove("FLINT_INITRD");
        Process process = builder.start();
        process.getOutputStream().close();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "bash did not end");
        assertEquals(0, process.exitValue(), out);
    }

    private int javaStarts() throws IOException {
        Path log = dir.resolve("java.log");
        return Files.exists(log) ? Files.readAllLines(log).size() : 0;
    }

    private static void executable(Path path, String content) throws IOException {
        Files.createDirectories(path.getParent());
        Files.writeString(path, content);
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private static String quoted(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
