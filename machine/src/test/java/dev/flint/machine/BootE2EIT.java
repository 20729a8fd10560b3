package dev.flint.machine;

import dev.flint.vmm.HostUnsupportedException;
import dev.flint.vmm.KvmHost;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * End to end: {@code ./flint boot} boots Flint's kernel and initramfs with the Java VMM, the
 * guest's init prints its ready line on the serial console and powers off, and the VMM exits 0.
 * Natively when this host has hardware KVM; inside the nested rig (QEMU emulating AMD SVM)
 * when it has PVM or no KVM. Runs when {@code -Dflint.e2e=true} ({@code ./flint test} sets it).
 */
class BootE2EIT {
    private static final Pattern MARKER = Pattern.compile("boot marker \\(init started\\) at ([0-9.]+) ms");

    @Test
    void flintBootReachesInitAndPowersOff() throws Exception {
        assumeTrue(Boolean.getBoolean("flint.e2e"),
                "end-to-end boot needs the guest kernel build and hardware KVM or the nested rig; run ./flint test");
        Path root = Path.of(System.getProperty("flint.root", "..")).toAbsolutePath().normalize();
        List<String> command = new ArrayList<>();
        command.add(root.resolve("flint").toString());
        if (!nativeKvmCanBootLinux()) {
            command.addAll(List.of("rig", "--timeout", "900", "--", root.resolve("flint").toString()));
        }
        command.addAll(List.of("boot", "--memory-mb", "256", "--timeout", "600"));

        Result result = run(command, root);

        assertTrue(result.output.contains("flint-init: ready"), "guest init printed its ready line:\n" + result.output);
        assertTrue(result.output.contains("flint: guest powered off"), "VM ended by the guest's power-off:\n" + result.output);
        assertEquals(0, result.exitCode, "flint boot exit status:\n" + result.output);
        Matcher marker = MARKER.matcher(result.output);
        assertTrue(marker.find(), "the host saw the guest's boot marker:\n" + result.output);
        System.out.printf("E2E boot (%s): VM creation to boot marker %s ms%n",
                nativeKvmCanBootLinux() ? "native KVM" : "nested rig, emulated CPU: not a performance figure",
                marker.group(1));
    }

    private static boolean nativeKvmCanBootLinux() {
        try {
            KvmHost.local().requireLinuxGuests();
            return true;
        } catch (HostUnsupportedException e) {
            return false;
        }
    }

    private record Result(int exitCode, String output) {
    }

    private static Result run(List<String> command, Path workdir) throws IOException, InterruptedException {
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
                // process ended
            }
        });
        if (!process.waitFor(20, TimeUnit.MINUTES)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
        pump.join(10_000);
        synchronized (output) {
            return new Result(process.exitValue(), output.toString());
        }
    }
}
