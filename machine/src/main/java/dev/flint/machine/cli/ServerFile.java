package dev.flint.machine.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flint.machine.ConnectOptions;
import dev.flint.machine.wire.ExitFriendlyHttpClient;
import dev.flint.machine.wire.MachineJson;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The local server of a {@code FLINT_HOME}, as {@code flint serve} records it in
 * {@code $FLINT_HOME/server.json} (mode 0600: it holds the token) while it runs, so machine
 * commands given no server find it ({@link AutoServer}). A record whose process is gone, or
 * whose pid now names another process, is stale.
 */
record ServerFile(long pid, long startedAtMillis, URI url, Optional<String> token) {
    static final String NAME = "server.json";
    private static final HttpClient HTTP = ExitFriendlyHttpClient.of(HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(2)));

    static Path path(Path home) {
        return home.resolve(NAME);
    }

    /** This process, serving at {@code url}. */
    static ServerFile ofThisProcess(URI url, Optional<String> token) {
        ProcessHandle self = ProcessHandle.current();
        return new ServerFile(self.pid(), self.info().startInstant().map(Instant::toEpochMilli).orElse(0L), url, token);
    }

    /** The record under {@code home}, if there is a readable one. */
    static Optional<ServerFile> read(Path home) {
        try {
            JsonNode json = MachineJson.parse(Files.readString(path(home)), NAME);
            return Optional.of(new ServerFile(json.path("pid").asLong(), json.path("startedAtMillis").asLong(),
                    URI.create(json.path("url").asText()),
                    json.hasNonNull("token") ? Optional.of(json.get("token").asText()) : Optional.empty()));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();   // none, or half-written by a server that died: no server to use
        }
    }

    /** Writes the record under {@code home}, readable by this user only, replacing any. */
    void write(Path home) throws IOException {
        ObjectNode json = MachineJson.object().put("pid", pid).put("startedAtMillis", startedAtMillis)
                .put("url", url.toString());
        token.ifPresent(t -> json.put("token", t));
        Files.createDirectories(home);
        Path partial = home.resolve(NAME + ".partial");
        Files.deleteIfExists(partial);
        Files.createFile(partial, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(partial, MachineJson.write(json));
        Files.move(partial, path(home), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Removes the record under {@code home} if it is still this one (a newer server's stays). */
    void deleteIfCurrent(Path home) {
        if (read(home).filter(this::equals).isPresent()) {
            try {
                Files.deleteIfExists(path(home));
            } catch (IOException e) {
                // Stale, and harmless: the next command sees its process gone.
            }
        }
    }

    /** Whether the recorded process still runs (the same one: a reused pid has another start time). */
    boolean alive() {
        return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(p -> startedAtMillis == 0
                || p.info().startInstant().map(Instant::toEpochMilli).orElse(startedAtMillis) == startedAtMillis).isPresent();
    }

    /** Whether the server answers its health route. */
    boolean healthy() {
        try {
            HttpResponse<Void> response = HTTP.send(HttpRequest.newBuilder(url.resolve("/v1/health"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding());
            return response.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    ConnectOptions options() {
        return ConnectOptions.server(url, token.orElse(null));
    }
}
