package dev.flint.image.registry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flint.image.ImageException;
import dev.flint.image.ImageReference;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Credentials from a docker {@code config.json}: {@code auths.<host>.auth}, base64 of
 * {@code user:pass}, as {@code docker login} writes them. Keys may carry a scheme and path
 * ({@code https://index.docker.io/v1/} is Docker Hub's); they are matched by host.
 */
public final class DockerCredentials {
    /** No credentials at all. */
    public static final DockerCredentials NONE = new DockerCredentials(Map.of());

    private final Map<String, String> basicByHost;

    private DockerCredentials(Map<String, String> basicByHost) {
        this.basicByHost = Map.copyOf(basicByHost);
    }

    /** Reads {@code config}; null reads as no credentials. */
    public static DockerCredentials load(Path config) {
        if (config == null || !Files.isRegularFile(config)) {
            return NONE;
        }
        JsonNode root;
        try {
            root = Manifests.parse(Files.readAllBytes(config), "docker config " + config);
        } catch (IOException e) {
            throw new ImageException("cannot read the docker config " + config + ": " + e.getMessage()
                    + "; fix its permissions or point DOCKER_CONFIG elsewhere", e);
        }
        Map<String, String> byHost = new HashMap<>();
        root.path("auths").properties().forEach(entry -> {
            String auth = entry.getValue().path("auth").asText("");
            if (!auth.isEmpty()) {
                String decoded = decode(auth, entry.getKey(), config);
                byHost.put(hostOf(entry.getKey()), Base64.getEncoder().encodeToString(
                        decoded.getBytes(StandardCharsets.UTF_8)));
            }
        });
        return new DockerCredentials(byHost);
    }

    private static String decode(String auth, String key, Path config) {
        try {
            String decoded = new String(Base64.getDecoder().decode(auth.strip()), StandardCharsets.UTF_8);
            if (decoded.indexOf(':') < 0) {
                throw new IllegalArgumentException("no ':'");
            }
            return decoded;
        } catch (IllegalArgumentException e) {
            throw new ImageException("the credentials for '" + key + "' in " + config + " are not base64 of"
                    + " user:password; run 'docker login' again or fix the file");
        }
    }

    /** The host part of a config key: {@code https://index.docker.io/v1/} is {@code index.docker.io}. */
    static String hostOf(String key) {
        String host = key.strip();
        int scheme = host.indexOf("://");
        if (scheme >= 0) {
            host = host.substring(scheme + 3);
        }
        int slash = host.indexOf('/');
        return slash < 0 ? host : host.substring(0, slash);
    }

    /** The {@code Authorization: Basic} value for {@code registry} (as in an {@link ImageReference}), if any. */
    public Optional<String> basicFor(String registry) {
        List<String> candidates = ImageReference.DOCKER_HUB.equals(registry)
                ? List.of("index.docker.io", "docker.io", ImageReference.DOCKER_HUB_ENDPOINT)
                : List.of(registry);
        return candidates.stream().map(basicByHost::get).filter(v -> v != null).findFirst().map(v -> "Basic " + v);
    }
}
