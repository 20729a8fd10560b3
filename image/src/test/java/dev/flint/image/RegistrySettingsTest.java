package dev.flint.image;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RegistrySettingsTest {
    @Test
    void insecureRegistriesComeFromTheEnvironmentAndTheCaller(@TempDir Path home) {
        RegistrySettings settings = RegistrySettings.from(Map.of(RegistrySettings.INSECURE_ENV,
                " localhost:5000, ,10.0.0.1"), home, List.of("127.0.0.1:5001"));
        assertEquals(Set.of("localhost:5000", "10.0.0.1", "127.0.0.1:5001"), settings.insecureRegistries());
        assertTrue(settings.isInsecure("localhost:5000"));
        assertFalse(settings.isInsecure("localhost"), "loopback is not implicitly insecure");
        assertFalse(settings.isInsecure("127.0.0.1"), "loopback is not implicitly insecure");
        assertEquals(3, settings.parallelLayers());
        assertNull(settings.dockerConfig());
    }

    @Test
    void dockerConfigFromDockerConfigDirElseHome(@TempDir Path home) throws Exception {
        Files.createDirectories(home.resolve(".docker"));
        Files.writeString(home.resolve(".docker/config.json"), "{}");
        assertEquals(home.resolve(".docker/config.json"), RegistrySettings.from(Map.of(), home, List.of()).dockerConfig());
        Path custom = Files.createDirectories(home.resolve("custom"));
        Files.writeString(custom.resolve("config.json"), "{}");
        assertEquals(custom.resolve("config.json"), RegistrySettings.from(Map.of("DOCKER_CONFIG", custom.toString()),
                home, List.of()).dockerConfig());
    }

    @Test
    void rejectsNonsense(@TempDir Path home) {
        RegistrySettings settings = RegistrySettings.from(Map.of(), home, List.of());
        assertThrows(IllegalArgumentException.class, () -> settings.withParallelLayers(0));
        assertThrows(IllegalArgumentException.class, () -> settings.withTimeout(java.time.Duration.ZERO));
    }
}
