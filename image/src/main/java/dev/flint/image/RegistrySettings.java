package dev.flint.image;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How to talk to registries.
 *
 * @param insecureRegistries hosts ({@code host[:port]}) reached over plain http; every other one
 *                           is https. Loopback is not implicitly insecure: list it.
 * @param dockerConfig       a docker {@code config.json} to read credentials from, or null for none
 * @param timeout            connect timeout and the wait for each response's headers
 * @param parallelLayers     how many layers download at once
 */
public record RegistrySettings(Set<String> insecureRegistries, Path dockerConfig, Duration timeout, int parallelLayers) {
    /** The environment variable listing insecure registries, comma-separated {@code host[:port]}. */
    public static final String INSECURE_ENV = "FLINT_INSECURE_REGISTRIES";
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    public static final int DEFAULT_PARALLEL_LAYERS = 3;

    public RegistrySettings {
        insecureRegistries = Set.copyOf(insecureRegistries);
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("the registry timeout must be positive, not " + timeout);
        }
        if (parallelLayers < 1) {
            throw new IllegalArgumentException("parallelLayers must be at least 1, not " + parallelLayers);
        }
    }

    /** Settings from this process's environment and home directory, no extra insecure registries. */
    public static RegistrySettings fromEnvironment() {
        return fromEnvironment(List.of());
    }

    /** Settings from this process's environment, plus {@code extraInsecure} registries from the caller. */
    public static RegistrySettings fromEnvironment(Collection<String> extraInsecure) {
        return from(System.getenv(), Path.of(System.getProperty("user.home")), extraInsecure);
    }

    /**
     * Settings from {@code env} and {@code home}: insecure registries from {@value #INSECURE_ENV}
     * plus {@code extraInsecure}; credentials from {@code $DOCKER_CONFIG/config.json}, else
     * {@code ~/.docker/config.json}, when that file exists.
     */
    public static RegistrySettings from(Map<String, String> env, Path home, Collection<String> extraInsecure) {
        Set<String> insecure = new LinkedHashSet<>();
        String listed = env.get(INSECURE_ENV);
        if (listed != null) {
            for (String host : listed.split(",")) {
                if (!host.isBlank()) {
                    insecure.add(host.strip());
                }
            }
        }
        extraInsecure.forEach(host -> insecure.add(host.strip()));
        String dockerDir = env.get("DOCKER_CONFIG");
        Path config = dockerDir != null && !dockerDir.isBlank() ? Path.of(dockerDir, "config.json")
                : home.resolve(".docker").resolve("config.json");
        return new RegistrySettings(insecure, Files.isRegularFile(config) ? config : null, DEFAULT_TIMEOUT,
                DEFAULT_PARALLEL_LAYERS);
    }

    /** Whether {@code registry} ({@code host[:port]}) is reached over plain http. */
    public boolean isInsecure(String registry) {
        return insecureRegistries.contains(registry);
    }

    public RegistrySettings withParallelLayers(int parallel) {
        return new RegistrySettings(insecureRegistries, dockerConfig, timeout, parallel);
    }

    public RegistrySettings withTimeout(Duration newTimeout) {
        return new RegistrySettings(insecureRegistries, dockerConfig, newTimeout, parallelLayers);
    }
}
