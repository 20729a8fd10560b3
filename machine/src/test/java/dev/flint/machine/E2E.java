package dev.flint.machine;

import dev.flint.vmm.HostUnsupportedException;
import dev.flint.vmm.KvmHost;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** What the end-to-end tests share: where guests can boot, and running a command with its output echoed. */
final class E2E {
    record Result(int exitCode, String output) {
    }

    private E2E() {
    }

    /** Whether this host's /dev/kvm boots Linux itself (hardware KVM), so the rig is not needed. */
    static boolean nativeKvmCanBootLinux() {
        try {
            KvmHost.local().requireLinuxGuests();
            return true;
        } catch (HostUnsupportedException e) {
            return false;
        }
    }

    /**
     * The OCI test images ./flint test builds ({@code FLINT_TEST_IMAGES}), with {@code part} in
     * them (a layout or the registry's data); the test is skipped without them.
     */
    static Path testImages(String part) {
        String images = System.getenv("FLINT_TEST_IMAGES");
        org.junit.jupiter.api.Assumptions.assumeTrue(images != null && Files.isDirectory(Path.of(images, part)),
                "needs the test images ./flint test builds (image/test-images/build-test-images.sh; FLINT_TEST_IMAGES)");
        return Path.of(images);
    }

    static String where() {
        return nativeKvmCanBootLinux() ? "native KVM" : "nested rig, emulated CPU: not a performance figure";
    }

    /** This checkout's root, where {@code ./flint} is. */
    static Path root() {
        return Path.of(System.getProperty("flint.root", "..")).toAbsolutePath().normalize();
    }

    /** {@code ./flint} of this checkout, as an absolute path. */
    static String flint() {
        return root().resolve("flint").toString();
    }

    /**
     * A shell function {@code serve NAME}: starts {@code flint serve} in the background (its pid in
     * {@code $server}, its output in /tmp/serve-NAME.log) and returns once it says it is serving.
     * It waits on the server's own line rather than polling with {@code flint ls}: each poll was a
     * client JVM start (seconds under the rig's emulated CPU) competing with the server's start.
     */
    static String serveFunction() {
        return "serve() { " + flint() + " serve > /tmp/serve-$1.log 2>&1 & server=$!;"
                + " for i in $(seq 600); do grep -q '^flint: serving on ' /tmp/serve-$1.log && return 0;"
                + " kill -0 $server 2>/dev/null || break; sleep 0.5; done; cat /tmp/serve-$1.log; return 1; }";
    }

    /**
     * Runs a shell script where guests boot: directly on hardware KVM, else in one nested-rig
     * session (one emulated vCPU) that sees {@code includes} beside this checkout's builds.
     */
    static Result runScript(String script, int timeoutSeconds, String... includes) throws IOException, InterruptedException {
        return runScript(script, timeoutSeconds, RIG_MEMORY_MB, includes);
    }

    /** The rig's memory unless a test asks for more: it holds the rootfs, the JVM and the guests. */
    static final int RIG_MEMORY_MB = 3072;

    /** {@link #runScript(String, int, String...)} in a rig of {@code rigMemoryMb} (a guest is refused more than its host has). */
    static Result runScript(String script, int timeoutSeconds, int rigMemoryMb, String... includes)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        if (!nativeKvmCanBootLinux()) {
            command.addAll(List.of(flint(), "rig", "--cpus", "1", "--memory-mb", Integer.toString(rigMemoryMb),
                    "--timeout", Integer.toString(timeoutSeconds)));
            for (String include : includes) {
                command.addAll(List.of("--include", include));
            }
            command.add("--");
        }
        command.addAll(List.of("sh", "-c", script));
        // The rig stops itself at its --timeout; this kill is the guard behind it (rig start and teardown).
        return run(command, root(), Duration.ofSeconds(timeoutSeconds).plus(RIG_MARGIN));
    }

    static final String JVM_CRASH = "A fatal error has been detected by the Java Runtime Environment";

    /**
     * Runs {@code command}, echoing its output as it comes; kills it after {@code limit}. In the
     * rig only, a run whose JVM crashed is run once more: with two emulated vCPUs (QEMU's
     * multi-threaded TCG) HotSpot died with SIGSEGV in its own code (MemAllocator::allocate,
     * an unknown frame) a few times in some thirty JVM starts, never twice in a row. The tests
     * give the rig one vCPU, which avoids that and is faster on a 2-core host, and keep this
     * retry as a guard; the crash stays in the log above the retry.
     */
    static Result run(List<String> command, Path workdir, Duration limit) throws IOException, InterruptedException {
        Result result = runOnce(command, workdir, limit);
        if (!nativeKvmCanBootLinux() && result.output().contains(JVM_CRASH)) {
            System.out.println("E2E: a JVM crashed inside the nested rig (see above); running the rig once more");
            result = runOnce(command, workdir, limit);
        }
        return result;
    }

    /** Time a rig needs beyond its own timeout to boot and to stop. */
    private static final Duration RIG_MARGIN = Duration.ofMinutes(3);

    private static Result runOnce(List<String> command, Path workdir, Duration limit) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).directory(workdir.toFile()).redirectErrorStream(true).start();
        StringBuilder output = new StringBuilder();
        Thread pump = Thread.ofPlatform().start(() -> {
            try (InputStream in = process.getInputStream()) {
                byte[] buffer = new byte[8192];
                int n;
                while ((n = in.read(buffer)) > 0) {
                    String chunk = new String(buffer, 0, n, StandardCharsets.UTF_8);
                    System.out.print(chunk);
                    synchronized (output) {
                        output.append(chunk);
                    }
                }
            } catch (IOException e) {
                // The process ended.
            }
        });
        if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
        pump.join(10_000);
        synchronized (output) {
            return new Result(process.waitFor(), output.toString());
        }
    }
}
