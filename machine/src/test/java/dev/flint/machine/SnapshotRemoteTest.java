package dev.flint.machine;

import dev.flint.machine.server.ListenAddress;
import dev.flint.machine.server.MachineServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Pause, resume, snapshots and forks against a server: the routes, the wire JSON and the errors, as in this JVM. */
class SnapshotRemoteTest {
    private static final String TOKEN = "snap-token-1";

    @TempDir
    Path home;
    private final FakeEngines fakes = new FakeEngines();
    private MachineServer server;
    private ConnectOptions options;
    private URI uri;

    @BeforeEach
    void start() {
        TestHome.use(home);
        server = MachineServer.start(fakes.persistent(home), new ListenAddress("127.0.0.1", 0), Optional.of(TOKEN));
        uri = URI.create("http://127.0.0.1:" + server.port());
        options = ConnectOptions.server(uri, TOKEN);
    }

    @AfterEach
    void stop() {
        server.close();
        TestHome.restore();
    }

    private static MachineConfig config(String name) {
        return MachineConfig.builder().name(name).network(NetworkPolicy.none()).build();
    }

    @Test
    void pauseResumeAndConnectResumes() {
        Machine machine = Machine.create(config("remote-nap"), options);
        machine.pause();
        assertEquals(MachineState.PAUSED, machine.status());
        assertEquals(MachineState.PAUSED, Machine.list(MachineQuery.all(), options).machines().getFirst().state());
        machine.resume();
        assertEquals(MachineState.RUNNING, machine.status());
        machine.pause();
        Machine again = Machine.connect(machine.id(), options);
        assertEquals(MachineState.RUNNING, again.status(), "connect resumes a paused machine");
        assertThrows(MachineStateException.class, again::resume);
    }

    @Test
    void snapshotsForksAndTheirErrorsOverHttp() throws Exception {
        Machine source = Machine.create(config("remote-src"), options);
        source.snapshot("remote-base");
        assertEquals(List.of("remote-base"), Snapshots.list(options).stream().map(SnapshotInfo::name).toList());
        assertEquals("remote-src", Snapshots.list(options).getFirst().source());

        Machine copy = Machine.create(MachineConfig.builder().name("remote-copy").fromSnapshot("remote-base").build(), options);
        assertEquals(MachineState.RUNNING, copy.status());
        assertEquals(Optional.of("remote-copy"), fakes.backends.get(copy.id()).renewedHostname);
        assertThrows(MachineStateException.class, () -> Snapshots.delete("remote-base", options));
        copy.delete();
        Snapshots.delete("remote-base", options);
        assertEquals(List.of(), Snapshots.list(options));

        SnapshotNotFoundException missing = assertThrows(SnapshotNotFoundException.class, () -> Machine.create(
                MachineConfig.builder().name("nope").fromSnapshot("remote-base").build(), options));
        assertTrue(missing.getMessage().startsWith("no snapshot named 'remote-base'"), missing.getMessage());
        assertThrows(SnapshotNotFoundException.class, () -> Snapshots.delete("remote-base", options));
        HttpResponse<String> raw = HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri.resolve("/v1/snapshots/absent"))
                .header("Authorization", "Bearer " + TOKEN).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(404, raw.statusCode());
        assertTrue(raw.body().contains("\"code\":\"snapshot_not_found\""), raw.body());

        List<Machine> clones = source.fork(2);
        assertEquals(List.of("remote-src-fork-1", "remote-src-fork-2"), clones.stream().map(Machine::name).toList());
        for (Machine clone : clones) {
            assertEquals(MachineState.RUNNING, clone.status());
            assertEquals("x\n", clone.exec(List.of("echo", "x")).stdout());
        }
        assertEquals(List.of("named-clone"), source.fork(List.of("named-clone")).stream().map(Machine::name).toList());
        HttpResponse<String> countOnly = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        uri.resolve("/v1/machines/named-clone/fork")).header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"count\":1,\"names\":[]}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(201, countOnly.statusCode(), "empty names leave it to count, as generated clients send it: "
                + countOnly.body());
        assertTrue(countOnly.body().contains("\"name\":\"named-clone-fork-1\""), countOnly.body());
        HttpResponse<String> badFork = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        uri.resolve("/v1/machines/remote-src/fork")).header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"count\":\"two\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, badFork.statusCode(), badFork.body());
    }
}
