package dev.flint.machine;

import dev.flint.agent.ExecRequest;
import dev.flint.image.ImageReference;
import dev.flint.image.LayerFile;
import dev.flint.image.PulledImage;
import dev.flint.image.config.ImageConfig;
import dev.flint.image.tree.ImageTree;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How a caller's command becomes the agent's request in an image: Docker's run and exec rules, users, the share path. */
class ImageRootfsTest {
    private static final String DIGEST = "sha256:" + "ab".repeat(32);
    private static final String CONFIG = """
            {"config": {"Env": ["PATH=/usr/bin:/bin", "FOO=image", "KEEP=1"], "Entrypoint": ["/bin/entry"],
             "Cmd": ["default"], "WorkingDir": "/srv", "User": "app"},
             "rootfs": {"type": "layers", "diff_ids": []}}
            """;

    @TempDir
    Path dir;
    private ImageRootfs rootfs;

    @BeforeEach
    void image() throws IOException {
        Path layer = dir.resolve("layer.tar");
        try (OutputStream file = Files.newOutputStream(layer); TarArchiveOutputStream tar = new TarArchiveOutputStream(file)) {
            add(tar, "etc/passwd", "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n");
            add(tar, "etc/group", "root:x:0:\napp:x:1000:\nextra:x:2000:app\n");
            add(tar, "bin/entry", "#!/bin/sh\n");
        }
        ImageTree tree = ImageTree.flatten(List.of(layer));
        PulledImage image = new PulledImage(ImageReference.parse("localhost:5000/app:1"), DIGEST,
                CONFIG.getBytes(StandardCharsets.UTF_8), List.of(new LayerFile(DIGEST, DIGEST,
                "application/vnd.oci.image.layer.v1.tar", Files.size(layer), layer)), Files.size(layer));
        rootfs = new ImageRootfs(image, ImageConfig.parse(image.configJson()), tree);
    }

    private static void add(TarArchiveOutputStream tar, String name, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry entry = new TarArchiveEntry(name);
        entry.setSize(bytes.length);
        entry.setMode(0100755);
        tar.putArchiveEntry(entry);
        tar.write(bytes);
        tar.closeArchiveEntry();
    }

    @Test
    void aRunAppliesEntrypointUserGroupsWorkdirAndEnvOnAFreshLayer() {
        ExecRequest request = rootfs.request(List.of("arg"), Map.of("FOO", "machine"),
                RunOptions.builder().env("BAR", "caller").build(), true, "");
        assertEquals(List.of("/bin/entry", "arg"), request.argv());
        assertEquals(1000, request.uid());
        assertEquals(1000, request.gid());
        assertEquals(List.of(1000, 2000), request.groups());
        assertEquals("/srv", request.workdir());
        assertEquals("machine", request.env().get("FOO"), "the machine's env wins over the image's");
        assertEquals("caller", request.env().get("BAR"));
        assertEquals("1", request.env().get("KEEP"));
        assertEquals("/home/app", request.env().get("HOME"));
        assertEquals(new ExecRequest.ImageRoot("/.flint/images/" + "ab".repeat(12), ""), request.imageRoot().orElseThrow());
    }

    @Test
    void anExecRunsArgvAsGivenInAKeptLayerAndTheCallerChoosesTheUserAndWorkdir() {
        ExecRequest request = rootfs.request(List.of("id", "-u"), Map.of(),
                RunOptions.builder().user("0").workdir("/tmp").build(), false, "/run/flint/images/x");
        assertEquals(List.of("id", "-u"), request.argv());
        assertEquals(0, request.uid());
        assertEquals("/tmp", request.workdir());
        assertEquals("/run/flint/images/x", request.imageRoot().orElseThrow().upper());
    }

    @Test
    void anUnknownUserIsAConfigErrorThatNamesTheImage() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> rootfs.request(List.of("true"),
                Map.of(), RunOptions.builder().user("nobody").build(), true, ""));
        assertTrue(e.getMessage().contains("localhost:5000/app:1") && e.getMessage().contains("nobody"), e.getMessage());
    }

    @Test
    void runOptionsAndImageConfigRefuseBadInput() {
        assertThrows(InvalidConfigException.class, () -> RunOptions.builder().user("a b"));
        assertThrows(InvalidConfigException.class, () -> RunOptions.builder().workdir("relative"));
        assertThrows(InvalidConfigException.class, () -> MachineConfig.builder().image("Upper:case").build());
        assertTrue(assertThrows(InvalidConfigException.class, () -> MachineConfig.builder().image("alpine")
                .rootfs(dir).build()).getMessage().contains("image and rootfs"));
        assertEquals("docker.io/library/alpine:latest", MachineConfig.builder().image("alpine").build().image().orElseThrow());
    }
}
