package dev.flint.machine.cli;

import dev.flint.machine.FakeEngines;
import dev.flint.machine.server.ListenAddress;
import dev.flint.machine.server.MachineServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Machine commands given no server use the local one: found by its record, else started (here
 * by a starter that serves fake machines in this JVM, as {@code flint serve} would in its own).
 */
class AutoServerTest {
    @TempDir
    Path home;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final List<MachineServer> started = new ArrayList<>();
    private final FakeEngines fakes = new FakeEngines();

    @AfterEach
    void stopServers() {
        started.forEach(MachineServer::close);
    }

    /** As {@code flint serve --listen 127.0.0.1:0 --token T} does: serve, then record itself. */
    private ProcessHandle serveHere(Path serverHome, String token, Path log) throws java.io.IOException {
        MachineServer server = MachineServer.start(fakes.persistent(serverHome), new ListenAddress("127.0.0.1", 0),
                Optional.of(token));
        started.add(server);
        ServerFile.ofThisProcess(URI.create("http://127.0.0.1:" + server.port()), Optional.of(token)).write(serverHome);
        return ProcessHandle.current();
    }

    private int run(AutoServer.Starter starter, String... args) throws Exception {
        out.reset();
        err.reset();
        return Flint.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), Map.of("FLINT_HOME", home.toString()), starter);
    }

    @Test
    void theFirstMachineCommandStartsTheServerAndTheNextOnesUseIt() throws Exception {
        assertEquals(0, run(this::serveHere, "create", "web-1"), err.toString());
        assertTrue(err.toString().contains("started a local Flint server for your machines"), err.toString());
        assertTrue(err.toString().contains("'flint server stop' stops it"), err.toString());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(ServerFile.path(home))),
                "the record holds the token");

        assertEquals(0, run((h, t, l) -> { throw new AssertionError("a second server was started"); }, "ls"));
        assertTrue(out.toString().contains("web-1"), out.toString());
        assertFalse(err.toString().contains("started"), "said once: " + err);
        assertEquals(1, started.size());

        assertEquals(0, run(null, "server", "status"));
        assertTrue(out.toString().contains("local server pid " + ProcessHandle.current().pid()), out.toString());
        assertEquals(0, run(null, "server", "status", "--json"));
        var status = dev.flint.machine.wire.MachineJson.parse(out.toString(), "server status --json");
        assertTrue(status.get("running").asBoolean(), out.toString());
        assertEquals(ProcessHandle.current().pid(), status.get("pid").asLong());
        assertTrue(status.get("url").asText().startsWith("http://127.0.0.1:") && status.get("healthy").asBoolean(),
                out.toString());
        assertFalse(out.toString().contains(ServerFile.read(home).orElseThrow().token().orElseThrow()), "no token printed");
    }

    @Test
    void aStaleRecordIsReplacedByANewServer() throws Exception {
        long dead = new ProcessBuilder("true").start().onExit().get().pid();
        new ServerFile(dead, 1, URI.create("http://127.0.0.1:1"), Optional.of("old-token")).write(home);
        assertEquals(1, run(null, "server", "status"));
        assertTrue(out.toString().contains("no local server runs"), out.toString());
        assertEquals(1, run(null, "server", "status", "--json"));
        assertFalse(dev.flint.machine.wire.MachineJson.parse(out.toString(), "server status --json").get("running")
                .asBoolean(), out.toString());

        assertEquals(0, run(this::serveHere, "ls"), err.toString());
        assertEquals(1, started.size(), "the stale record's server was not used");
        assertTrue(ServerFile.read(home).orElseThrow().token().orElseThrow().length() >= 32, "a fresh token");
    }

    @Test
    void aServerThatEndsAsItStartsIsExit4WithItsLog() throws Exception {
        AutoServer.Starter failing = (h, t, log) -> {
            Files.writeString(log, "flint: the store is locked by another server\n");
            return new ProcessBuilder("true").start().toHandle();   // ends at once
        };
        assertEquals(ExitCodes.NO_SERVER, run(failing, "ls"));
        assertTrue(err.toString().contains("the local Flint server ended as it started"), err.toString());
        assertTrue(err.toString().contains("the store is locked by another server"), err.toString());
    }
}
