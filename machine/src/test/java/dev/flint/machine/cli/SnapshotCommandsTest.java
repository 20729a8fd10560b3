package dev.flint.machine.cli;

import dev.flint.machine.TestHome;
import dev.flint.machine.FakeEngines;
import dev.flint.machine.TimeoutAction;
import dev.flint.machine.server.ListenAddress;
import dev.flint.machine.server.MachineServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** flint pause, resume, snapshot, fork, snapshots and create --from-snapshot: parsing, help, exit statuses, a session. */
class SnapshotCommandsTest {
    @TempDir
    Path home;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void useHome() {
        TestHome.use(home);
    }

    @AfterEach
    void clearHome() {
        TestHome.restore();
    }

    private int run(Map<String, String> env, String... args) throws Exception {
        out.reset();
        err.reset();
        return Flint.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), env);
    }

    private String stdout() {
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void argumentsAreCheckedBeforeAnyServerIsAsked() throws Exception {
        assertEquals(new SnapshotCommands.Options(SnapshotCommands.Action.FORK, "web", null, 3, false),
                SnapshotCommands.parse("fork", List.of("web", "-n", "3")));
        assertEquals(SnapshotCommands.Action.LIST, SnapshotCommands.parse("snapshots", List.of()).action());
        assertEquals(SnapshotCommands.Action.DELETE, SnapshotCommands.parse("snapshots", List.of("rm", "base")).action());
        assertTrue(assertThrows(UsageException.class, () -> SnapshotCommands.parse("snapshot", List.of("web")))
                .getMessage().contains("snapshot needs MACHINE and SNAP"));
        assertTrue(assertThrows(UsageException.class, () -> SnapshotCommands.parse("snapshot", List.of("web", "Bad")))
                .getMessage().contains("snapshot name must be"));
        assertThrows(UsageException.class, () -> SnapshotCommands.parse("fork", List.of("web", "-n", "0")));
        assertThrows(UsageException.class, () -> SnapshotCommands.parse("snapshots", List.of("purge")));
        assertEquals("base", CreateCommand.parse(List.of("w", "--from-snapshot", "base")).config().snapshot().orElseThrow());
        assertEquals(TimeoutAction.PAUSE, CreateCommand.parse(List.of("w", "--ttl", "5", "--on-ttl", "pause")).config()
                .onTimeout());
        assertThrows(UsageException.class, () -> CreateCommand.parse(List.of("w", "--on-ttl", "sleep")));
        for (String command : List.of("pause", "resume", "snapshot", "fork", "snapshots")) {
            assertEquals(0, run(Map.of(), command, "--help"), command);
            assertTrue(stdout().startsWith("Usage: flint " + command), command + ":\n" + stdout());
            assertTrue(stdout().contains("Exit status"), command);
        }
        assertEquals(ExitCodes.NO_SERVER, run(Map.of(), "pause", "web"));
        assertEquals(ExitCodes.USAGE, run(Map.of(), "fork"));
    }

    @Test
    void aSessionAgainstAServer() throws Exception {
        try (MachineServer server = MachineServer.start(new FakeEngines().persistent(home),
                new ListenAddress("127.0.0.1", 0), Optional.of("snap-cli-1"))) {
            Map<String, String> env = Map.of("FLINT_SERVER", "http://127.0.0.1:" + server.port(), "FLINT_TOKEN", "snap-cli-1");
            assertEquals(0, run(env, "create", "web", "--network", "none"));
            assertEquals(0, run(env, "pause", "web"));
            assertTrue(stdout().endsWith(" paused\n"), stdout());
            assertEquals(0, run(env, "info", "web"));
            assertTrue(stdout().contains("state:     paused"), "info does not resume:\n" + stdout());
            assertEquals(0, run(env, "ls"));
            assertTrue(stdout().contains("paused"), stdout());
            assertEquals(ExitCodes.WRONG_STATE, run(env, "snapshot", "web", "base"), "a paused machine is not snapshotted");
            assertEquals(0, run(env, "resume", "web"));
            assertTrue(stdout().endsWith(" running\n"), stdout());

            assertEquals(0, run(env, "snapshot", "web", "base"));
            assertEquals(0, run(env, "snapshots"));
            assertTrue(stdout().startsWith("NAME") && stdout().contains("base") && stdout().contains("web"), stdout());
            for (List<String> json : List.of(List.of("snapshots", "--json"), List.of("snapshots", "ls", "--json"))) {
                assertEquals(0, run(env, json.toArray(String[]::new)), json.toString());
                var listed = dev.flint.machine.wire.MachineJson.parse(stdout(), json.toString()).get("snapshots");
                assertEquals(1, listed.size(), stdout());
                assertEquals("base", listed.get(0).get("name").asText());
                assertEquals("web", listed.get(0).get("source").asText());
            }
            assertEquals(0, run(env, "create", "copy", "--from-snapshot", "base"));
            assertEquals(ExitCodes.NOT_FOUND, run(env, "create", "other", "--from-snapshot", "nothing"));
            assertEquals(ExitCodes.WRONG_STATE, run(env, "snapshots", "rm", "base"), "copy stands on it");
            assertEquals(0, run(env, "delete", "copy"));
            assertEquals(0, run(env, "snapshots", "rm", "base"));
            assertEquals(ExitCodes.NOT_FOUND, run(env, "snapshots", "rm", "base"));

            assertEquals(0, run(env, "fork", "web", "-n", "2"));
            List<String> lines = stdout().lines().toList();
            assertEquals(2, lines.size(), stdout());
            assertTrue(lines.get(0).endsWith(" web-fork-1") && lines.get(1).endsWith(" web-fork-2"), stdout());
            assertEquals(0, run(env, "create", "solo", "--network", "none"));
            assertEquals(0, run(env, "fork", "solo", "--json"));
            var clone = dev.flint.machine.wire.MachineJson.parse(stdout(), "fork --json");
            assertEquals("running", clone.get("state").asText(), stdout());
            assertEquals("solo-fork-1", clone.get("name").asText(), stdout());
        }
    }
}
