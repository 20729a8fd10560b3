package dev.flint.image.registry;

import dev.flint.image.ImageException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DockerCredentialsTest {
    @Test
    void readsAuthsByHostAndDockerHubsLegacyKey(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("config.json");
        Files.writeString(config, "{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\""
                + java.util.Base64.getEncoder().encodeToString("hub:secret".getBytes()) + "\"},"
                + "\"ghcr.io\":{\"auth\":\"" + java.util.Base64.getEncoder().encodeToString("me:tok".getBytes())
                + "\"},\"other.io\":{}}}");
        DockerCredentials credentials = DockerCredentials.load(config);
        assertEquals(FakeRegistry.basic("hub:secret"), credentials.basicFor("docker.io").orElseThrow());
        assertEquals(FakeRegistry.basic("me:tok"), credentials.basicFor("ghcr.io").orElseThrow());
        assertTrue(credentials.basicFor("other.io").isEmpty());
        assertTrue(credentials.basicFor("quay.io").isEmpty());
    }

    @Test
    void noFileMeansNoCredentials(@TempDir Path dir) {
        assertTrue(DockerCredentials.load(dir.resolve("absent.json")).basicFor("ghcr.io").isEmpty());
        assertTrue(DockerCredentials.load(null).basicFor("ghcr.io").isEmpty());
    }

    @Test
    void aBrokenAuthSaysWhatToDo(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("config.json");
        Files.writeString(config, "{\"auths\":{\"ghcr.io\":{\"auth\":\"%%%\"}}}");
        assertTrue(assertThrows(ImageException.class, () -> DockerCredentials.load(config)).getMessage()
                .contains("docker login"));
    }

    @Test
    void keysAreMatchedByHost() {
        assertEquals("index.docker.io", DockerCredentials.hostOf("https://index.docker.io/v1/"));
        assertEquals("localhost:5000", DockerCredentials.hostOf("http://localhost:5000"));
        assertEquals("ghcr.io", DockerCredentials.hostOf("ghcr.io"));
    }
}
