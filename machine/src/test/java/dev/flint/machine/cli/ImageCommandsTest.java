package dev.flint.machine.cli;

import dev.flint.machine.TestHome;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flint.image.ImageSummary;
import dev.flint.image.PullPolicy;
import dev.flint.machine.ConnectOptions;
import dev.flint.machine.FakeEngines;
import dev.flint.machine.Images;
import dev.flint.machine.server.ListenAddress;
import dev.flint.machine.server.MachineServer;
import dev.flint.machine.wire.MachineJson;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The image commands and options: parsing, help and exit statuses, and a store driven through
 * the CLI and through a server's /v1/images routes, fed from an OCI layout this test writes.
 */
class ImageCommandsTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    @TempDir
    Path dir;
    private String previousHome;

    @BeforeEach
    void home() {
        previousHome = System.getProperty("flint.home");
        System.setProperty("flint.home", dir.resolve("home").toString());
    }

    @AfterEach
    void restoreHome() {
        if (previousHome == null) {
            TestHome.restore();
        } else {
            System.setProperty("flint.home", previousHome);
        }
    }

    private int run(String... args) throws Exception {
        out.reset();
        err.reset();
        return Flint.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), Map.of());
    }

    private String stdout() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String stderr() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void runExecAndCreateTakeAnImageAndItsOptions() throws Exception {
        RunCommand.Options run = RunCommand.parse(List.of("--image", "python:3.12", "--user", "app:staff", "--pull",
                "never", "--", "python3", "-V"));
        assertEquals("docker.io/library/python:3.12", run.image().orElseThrow());
        assertEquals("app:staff", run.run().user().orElseThrow());
        assertEquals(PullPolicy.NEVER, run.run().pull());
        assertTrue(RunCommand.parse(List.of("--image", "alpine")).command().isEmpty(), "no command: the image's Cmd");
        ExecCommand.Options exec = ExecCommand.parse(List.of("w1", "--image", "localhost:5000/a/b@sha256:" + "0".repeat(64),
                "--", "true"), false);
        assertEquals("localhost:5000/a/b@sha256:" + "0".repeat(64), exec.image().orElseThrow());
        assertEquals("docker.io/library/alpine:3", CreateCommand.parse(List.of("w1", "--image", "alpine:3")).config()
                .image().orElseThrow());
        assertTrue(assertThrows(UsageException.class, () -> RunCommand.parse(List.of("--image", "Bad", "--", "x")))
                .getMessage().contains("lowercase"));
        assertTrue(assertThrows(UsageException.class, () -> RunCommand.parse(List.of("--user", "app", "--", "x")))
                .getMessage().contains("add --image"));
        assertTrue(assertThrows(UsageException.class, () -> RunCommand.parse(List.of("--image", "a", "--pull", "often")))
                .getMessage().contains("always, missing or never"));
    }

    @Test
    void everyImageCommandHasHelpAndRefusesBadArguments() throws Exception {
        for (String command : List.of("pull", "images", "rmi", "prune", "load")) {
            assertEquals(0, run(command, "--help"), command);
            assertTrue(stdout().startsWith("Usage: flint " + command) && stdout().contains("Exit status"), stdout());
        }
        assertEquals(0, run("help"));
        assertTrue(stdout().contains("pull") && stdout().contains("prune"), stdout());
        assertEquals(ExitCodes.USAGE, run("pull"));
        assertEquals(ExitCodes.USAGE, run("pull", "UPPER"));
        assertTrue(stderr().contains("lowercase"), stderr());
        assertEquals(ExitCodes.USAGE, run("images", "extra"));
        assertEquals(ExitCodes.USAGE, run("load", dir.resolve("missing.tar").toString()));
        assertTrue(stderr().contains("no such file"), stderr());
        assertEquals(ImageCommands.REGISTRY, run("pull", "127.0.0.1:1/x:1"), stderr());
        assertTrue(stderr().contains("127.0.0.1:1"), stderr());
    }

    @Test
    void loadListRemoveAndPruneThroughTheCliAndAServer() throws Exception {
        Path layout = writeLayout(dir.resolve("layout"), "example.com/team/tool:1");
        assertEquals(0, run("load", layout.toString()), stderr());
        assertTrue(stdout().contains("example.com/team/tool:1"), stdout());
        assertEquals(0, run("images"));
        assertTrue(stdout().startsWith("REFERENCE") && stdout().contains("example.com/team/tool:1"), stdout());
        assertEquals(0, run("images", "--json"));
        var images = MachineJson.parse(stdout(), "images --json").get("images");
        assertEquals(1, images.size(), stdout());
        assertEquals("example.com/team/tool:1", images.get(0).get("reference").asText());
        assertTrue(images.get(0).get("digest").asText().startsWith("sha256:") && images.get(0).get("size").asLong() > 0,
                stdout());
        assertEquals(0, run("pull", "example.com/team/tool:1"), "a stored image needs no registry: " + stderr());

        try (MachineServer server = MachineServer.start(new FakeEngines().persistent(dir.resolve("server")),
                new ListenAddress("127.0.0.1", 0), Optional.empty())) {
            Images remote = Images.connect(ConnectOptions.server(URI.create("http://127.0.0.1:" + server.port()), null));
            List<ImageSummary> listed = remote.list();
            assertEquals(List.of("example.com/team/tool:1"), listed.stream().map(ImageSummary::reference).toList());
            assertEquals("example.com/team/tool:1", remote.pull("example.com/team/tool:1").reference());
            assertTrue(remote.remove("example.com/team/tool:1"));
            assertFalse(remote.remove("example.com/team/tool:1"));
            assertTrue(remote.prune().bytesFreed() > 0, "the layer and config are freed once no reference needs them");
            assertTrue(remote.list().isEmpty());
            assertEquals(1, remote.load(layout, dev.flint.image.PullListener.NONE).size());
        }
        assertEquals(0, run("rmi", "example.com/team/tool:1"));
        assertEquals(ImageCommands.NOT_FOUND, run("rmi", "example.com/team/tool:1"));
        assertEquals(0, run("prune"));
        assertTrue(stdout().contains("freed"), stdout());
    }

    /** A one-layer OCI image layout, as {@code skopeo copy ... oci:DIR:tag} would leave it. */
    private static Path writeLayout(Path layout, String name) throws IOException {
        Files.createDirectories(layout.resolve("blobs/sha256"));
        Files.writeString(layout.resolve("oci-layout"), "{\"imageLayoutVersion\": \"1.0.0\"}");
        byte[] layer = tar("hello.txt", "hello from a layout\n");
        String layerDigest = blob(layout, layer);
        byte[] config = ("{\"architecture\": \"amd64\", \"os\": \"linux\", \"config\": {\"Cmd\": [\"cat\", \"/hello.txt\"]},"
                + " \"rootfs\": {\"type\": \"layers\", \"diff_ids\": [\"" + layerDigest + "\"]}}").getBytes(StandardCharsets.UTF_8);
        String configDigest = blob(layout, config);
        ObjectNode manifest = MachineJson.object().put("schemaVersion", 2)
                .put("mediaType", "application/vnd.oci.image.manifest.v1+json");
        manifest.putObject("config").put("mediaType", "application/vnd.oci.image.config.v1+json")
                .put("digest", configDigest).put("size", config.length);
        manifest.putArray("layers").addObject().put("mediaType", "application/vnd.oci.image.layer.v1.tar")
                .put("digest", layerDigest).put("size", layer.length);
        byte[] manifestBytes = MachineJson.write(manifest).getBytes(StandardCharsets.UTF_8);
        String manifestDigest = blob(layout, manifestBytes);
        ObjectNode index = MachineJson.object().put("schemaVersion", 2);
        index.putArray("manifests").addObject().put("mediaType", "application/vnd.oci.image.manifest.v1+json")
                .put("digest", manifestDigest).put("size", manifestBytes.length)
                .putObject("annotations").put("org.opencontainers.image.ref.name", name);
        Files.writeString(layout.resolve("index.json"), MachineJson.write(index));
        return layout;
    }

    private static String blob(Path layout, byte[] bytes) throws IOException {
        try {
            String hex = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
            Files.write(layout.resolve("blobs/sha256/" + hex), bytes);
            return "sha256:" + hex;
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] tar(String name, String text) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            byte[] data = text.getBytes(StandardCharsets.UTF_8);
            TarArchiveEntry entry = new TarArchiveEntry(name);
            entry.setSize(data.length);
            tar.putArchiveEntry(entry);
            tar.write(data);
            tar.closeArchiveEntry();
        }
        return bytes.toByteArray();
    }
}
