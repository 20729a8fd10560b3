package dev.flint.image;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The pull benchmark: our pull of the Python test image (57 MiB of gzip) from Debian's
 * docker-registry on loopback, against {@code skopeo copy} of the same image from the same
 * registry to an OCI layout, three rounds each, alternating, in one run on this host. Our pull
 * does more than skopeo's: it also writes each layer uncompressed (the image share serves files
 * from those tars by offset), so the ratio includes that. It prints the figures; it asserts only
 * that both produced the image, since speed goals live in reports, not timed tests.
 */
class PullVersusSkopeoIT {
    private static final String IMAGE = "flint/python:3";
    private static final int ROUNDS = 3;

    @TempDir
    Path dir;

    @Test
    void pullTheSameImageAsSkopeoAndReportTheRatio() throws Exception {
        String images = System.getenv("FLINT_TEST_IMAGES");
        assumeTrue(images != null && Files.isDirectory(Path.of(images, "registry")) && Files.isExecutable(Path.of("/usr/bin/skopeo")),
                "needs the test images ./flint test builds (FLINT_TEST_IMAGES) and skopeo");
        Path scripts = Path.of(System.getProperty("flint.testImageScripts", "test-images")).toAbsolutePath();
        String state = dir.resolve("registry-state").toString();
        String port = run(List.of(scripts.resolve("registry.sh").toString(), "start", images + "/registry"), state).strip()
                .lines().reduce((first, last) -> last).orElseThrow();
        try {
            String host = "127.0.0.1:" + port;
            List<Double> ours = new ArrayList<>();
            List<Double> skopeo = new ArrayList<>();
            for (int round = 0; round < ROUNDS; round++) {
                Path store = dir.resolve("store-" + round);
                long start = System.nanoTime();
                try (ImageStore images1 = ImageStore.open(store, new RegistrySettings(Set.of(host), null,
                        Duration.ofSeconds(60), 3))) {
                    PulledImage pulled = images1.pull(ImageReference.parse(host + "/" + IMAGE), PullPolicy.ALWAYS,
                            PullListener.NONE);
                    assertEquals(1, pulled.layers().size());
                }
                ours.add((System.nanoTime() - start) / 1e9);
                start = System.nanoTime();
                run(List.of("/usr/bin/skopeo", "copy", "--quiet", "--src-tls-verify=false", "docker://" + host + "/" + IMAGE,
                        "oci:" + dir.resolve("skopeo-" + round) + ":3"), state);
                skopeo.add((System.nanoTime() - start) / 1e9);
                assertTrue(Files.exists(dir.resolve("skopeo-" + round).resolve("index.json")));
            }
            double oursMedian = median(ours);
            double skopeoMedian = median(skopeo);
            System.out.printf("pull of %s (57 MiB gzip) from docker-registry on loopback, median of %d: Flint %.2f s"
                            + " (with the uncompressed layer), skopeo copy to an OCI layout %.2f s, ratio %.2f; rounds %s / %s%n",
                    IMAGE, ROUNDS, oursMedian, skopeoMedian, oursMedian / skopeoMedian, ours, skopeo);
        } finally {
            run(List.of(scripts.resolve("registry.sh").toString(), "stop"), state);
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }

    private static String run(List<String> command, String registryState) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
        builder.environment().put("FLINT_REGISTRY_STATE", registryState);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(300, TimeUnit.SECONDS), command + " ended");
        assertEquals(0, process.exitValue(), command + ":\n" + output);
        return output;
    }
}
