package dev.flint.image;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What the real-registry tests share: Debian's {@code docker-registry} (distribution 2.8) started
 * on loopback, commands run with their output kept, and one-layer images built by {@code umoci}.
 */
final class RegistryTools {
    static final String REGISTRY = "/usr/bin/docker-registry";
    static final List<String> TOOLS = List.of(REGISTRY, "/usr/bin/skopeo", "/usr/bin/umoci");

    private RegistryTools() {
    }

    /** Skips the calling test class unless docker-registry, skopeo and umoci are installed. */
    static void assumeTools() {
        for (String tool : TOOLS) {
            assumeTrue(Files.isExecutable(Path.of(tool)), "needs " + tool + " (apt-get install docker-registry"
                    + " skopeo umoci)");
        }
    }

    /** A loopback port nothing listens on right now. */
    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /**
     * Starts docker-registry on {@code host} with its data and log under {@code dir}, plus
     * {@code extraConfig} (top-level YAML such as an {@code auth:} section), and waits until
     * {@code /v2/} answers: 200, or 401 when the registry wants authentication.
     */
    static Process startRegistry(Path dir, String host, String extraConfig) throws Exception {
        Path config = dir.resolve("registry.yml");
        Path log = dir.resolve("registry.log");
        Files.writeString(config, """
                version: 0.1
                log:
                  level: warn
                storage:
                  filesystem:
                    rootdirectory: %s
                http:
                  addr: %s
                """.formatted(dir.resolve("registry-data"), host) + extraConfig);
        Process registry = new ProcessBuilder(REGISTRY, "serve", config.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (true) {
            try {
                int status = http.send(HttpRequest.newBuilder(URI.create("http://" + host + "/v2/")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode();
                if (status == 200 || status == 401) {
                    return registry;
                }
            } catch (IOException e) {
                // not up yet
            }
            if (System.nanoTime() > deadline || !registry.isAlive()) {
                stop(registry);
                throw new IllegalStateException("docker-registry did not come up on " + host + ": "
                        + Files.readString(log));
            }
            Thread.sleep(100);
        }
    }

    /** Stops {@code process} (null: nothing), forcibly after 10 s. */
    static void stop(Process process) throws InterruptedException {
        if (process != null) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    /** Runs {@code command}, its output in {@code dir/command.log}; fails with that output unless it exits 0. */
    static void run(Path dir, String... command) throws Exception {
        Path log = dir.resolve("command.log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " took over 120 s");
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed (" + process.exitValue() + "): "
                    + Files.readString(log));
        }
    }

    /**
     * An OCI layout {@code dir/name} whose image {@code name:t} has one layer with
     * {@code etc/<file>} = {@code content}.
     */
    static Path buildImage(Path dir, String name, String file, String content) throws Exception {
        Path layout = dir.resolve(name);
        Path bundle = dir.resolve(name + "-bundle");
        run(dir, "umoci", "init", "--layout", layout.toString());
        run(dir, "umoci", "new", "--image", layout + ":t");
        List<String> unpack = new ArrayList<>(List.of("umoci", "unpack"));
        if (!"root".equals(System.getProperty("user.name"))) {
            unpack.add("--rootless");
        }
        unpack.addAll(List.of("--image", layout + ":t", bundle.toString()));
        run(dir, unpack.toArray(String[]::new));
        Files.createDirectories(bundle.resolve("rootfs/etc"));
        Files.writeString(bundle.resolve("rootfs/etc").resolve(file), content);
        run(dir, "umoci", "repack", "--image", layout + ":t", bundle.toString());
        return layout;
    }
}
