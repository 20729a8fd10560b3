package dev.flint.machine;

import dev.flint.machine.server.ListenAddress;
import dev.flint.machine.server.MachineServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The same Machine calls against a server: results, states and exceptions as in this JVM. */
class RemoteEngineTest {
    private static final String TOKEN = "remote-token-1";

    @TempDir
    Path home;
    private final FakeEngines fakes = new FakeEngines();
    private MachineServer server;
    private ConnectOptions options;

    @BeforeEach
    void start() {
        server = MachineServer.start(fakes.persistent(home), new ListenAddress("127.0.0.1", 0), Optional.of(TOKEN));
        options = ConnectOptions.server(URI.create("http://127.0.0.1:" + server.port()), TOKEN);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void theMachineApiWorksTheSameRemotely() {
        Machine machine = Machine.create(MachineConfig.builder().name("remote").workdir("/w").env("A", "1").build(), options);
        assertTrue(machine.id().matches("m-[a-z2-7]{16}"));
        assertEquals("remote", machine.name());
        assertEquals("1", machine.config().env().get("A"));
        assertEquals(MachineState.RUNNING, machine.status());
        ExecResult echo = machine.exec(List.of("echo", "over", "http"));
        assertEquals("over http\n", echo.stdout());
        assertTrue(echo.success());
        ExecResult failed = machine.exec(List.of("fail"));
        assertEquals(3, failed.exitCode());
        assertEquals("failing on purpose\n", failed.stderr());
        assertEquals("/w\n", machine.exec(List.of("pwd")).stdout());
        assertEquals("login:uname -a", machine.shell("uname -a").stdout());
        assertEquals("piped", machine.exec(List.of("cat"), ExecOptions.builder().stdin("piped".getBytes()).build()).stdout());

        ByteArrayOutputStream streamed = new ByteArrayOutputStream();
        ExecResult status = machine.exec(List.of("echo", "streamed"), ExecOptions.DEFAULT, streamed::writeBytes, b -> { });
        assertEquals(0, status.exitCode());
        assertEquals("streamed\n", streamed.toString(StandardCharsets.UTF_8));

        MachineInfo info = machine.info();
        assertEquals(machine.id(), info.id());
        assertEquals(Duration.ofMillis(42), machine.bootDuration());
        assertEquals(7, machine.metrics().vmExits());
        assertEquals("fake console of remote\n", machine.consoleLog());

        machine.stop();
        assertEquals(MachineState.STOPPED, machine.status());
        assertTrue(assertThrows(MachineNotRunningException.class, () -> machine.exec(List.of("echo"))).getMessage()
                .contains("start() it first"));
        machine.start(Duration.ofSeconds(5));
        assertTrue(assertThrows(MachineStateException.class, machine::start).getMessage().contains("already runs"));
        assertThrows(ExecTimeoutException.class, () -> machine.exec(List.of("hang"),
                ExecOptions.builder().timeout(Duration.ofMillis(10)).build()));
        assertTrue(assertThrows(FlintException.class, machine::vsock).getMessage().contains("only in the JVM that hosts it"));

        machine.close();
        assertEquals(MachineState.DELETED, machine.status());
        machine.close();   // twice is fine, as locally
        assertThrows(MachineNotFoundException.class, () -> Machine.connect(machine.id(), options));
    }

    @Test
    void connectReattachesByIdOrNameFromAnotherHandle() {
        Machine created = Machine.create(MachineConfig.builder().name("again").metadata("k", "v").build(), options);
        Machine byId = Machine.connect(created.id(), options);
        Machine byName = Machine.connect("again", options);
        assertEquals(created.id(), byId.id());
        assertEquals(created.id(), byName.id());
        assertEquals("v", byId.config().metadata().get("k"));
        byName.stop();
        assertEquals(MachineState.STOPPED, created.status(), "every handle sees the server's state");
    }

    @Test
    void closingAConnectedHandleLeavesTheMachineAndClosingTheCreatorDeletesIt() {
        Machine created = Machine.create(MachineConfig.builder().name("owned").build(), options);
        assertTrue(created.ownsMachine());
        try (Machine attached = Machine.connect("owned", options)) {
            assertFalse(attached.ownsMachine());
            assertEquals("hi\n", attached.exec(List.of("echo", "hi")).stdout());
        }
        assertEquals(MachineState.RUNNING, created.status(), "a connected handle's close only lets go");
        assertEquals(MachineState.RUNNING, Machine.info("owned", options).state());
        created.close();
        assertThrows(MachineNotFoundException.class, () -> Machine.info("owned", options));
    }

    @Test
    void byIdCallsNeedNoHandleAndNeverWakeAPausedMachine() {
        Machine machine = Machine.create(MachineConfig.builder().name("byid").build(), options);
        assertEquals(7, Machine.metrics(machine.id(), options).vmExits());
        machine.pause();
        assertEquals(MachineState.PAUSED, Machine.info(machine.id(), options).state());
        MachineNotRunningException paused = assertThrows(MachineNotRunningException.class,
                () -> Machine.metrics("byid", options));
        assertTrue(paused.getMessage().contains("is paused, and reading its metrics by id does not wake it"),
                paused.getMessage());
        assertEquals(MachineState.PAUSED, machine.status(), "neither call woke it");
        Machine.delete("byid", options);
        assertEquals(MachineState.DELETED, machine.status());
        assertThrows(MachineNotFoundException.class, () -> Machine.delete("byid", options));
    }

    @Test
    void envSetOnAMachineReachesEveryExecAndOutlivesAServerRestart() {
        Machine machine = Machine.create(MachineConfig.builder().name("envy").env("A", "1").build(), options);
        machine.setEnv(java.util.Map.of("B", "2", "C", "x y"));
        assertEquals(java.util.Map.of("B", "2", "C", "x y"), machine.env());
        assertEquals("B=2\nC=x y\n", machine.exec(List.of("env")).stdout(), "the new env replaced the old");
        assertEquals("B=3\nC=x y\n", machine.exec(List.of("env"), ExecOptions.builder().env("B", "3").build()).stdout(),
                "an exec's own env wins");
        assertThrows(InvalidConfigException.class, () -> machine.setEnv(java.util.Map.of("BAD=NAME", "v")));
        assertEquals(java.util.Map.of("B", "2", "C", "x y"), machine.env(), "a refused env changes nothing");

        machine.stop();
        server.close();
        server = MachineServer.start(fakes.persistent(home), new ListenAddress("127.0.0.1", 0), Optional.of(TOKEN));
        options = ConnectOptions.server(URI.create("http://127.0.0.1:" + server.port()), TOKEN);
        Machine again = Machine.connect("envy", options);
        assertEquals(java.util.Map.of("B", "2", "C", "x y"), again.env(), "the store kept it");
        again.start();
        assertEquals("B=2\nC=x y\n", again.exec(List.of("env")).stdout());
        again.delete();
    }

    @Test
    void filesGoBothWaysThroughTheServer(@TempDir Path local) throws Exception {
        Machine machine = Machine.create(MachineConfig.builder().name("files").build(), options);
        MachineFiles files = machine.files();
        byte[] big = new byte[5 << 20];
        new java.util.Random(7).nextBytes(big);
        files.write("/big.bin", new java.io.ByteArrayInputStream(big), 0640);
        try (java.io.InputStream in = files.readStream("/big.bin")) {
            assertArrayEquals(big, in.readAllBytes(), "5 MiB in and out, streamed in frames");
        }
        FileInfo stat = files.stat("/big.bin");
        assertEquals(FileInfo.Type.FILE, stat.type());
        assertEquals(0640, stat.mode());
        assertEquals(big.length, stat.size());

        files.mkdirs("/d/e");
        files.write("/d/e/note", "hi".getBytes());
        files.symlink("/d/link", "e/note");
        assertEquals(List.of("e", "link"), files.list("/d").stream().map(FileInfo::name).toList());
        assertEquals("e/note", files.stat("/d/link").linkTarget());

        long copied = files.copyOut("/d", local.resolve("out"));
        assertEquals(4, copied, "d, e, note and link");
        assertEquals("hi", java.nio.file.Files.readString(local.resolve("out/e/note")));
        assertEquals(Path.of("e/note"), java.nio.file.Files.readSymbolicLink(local.resolve("out/link")));
        files.copyIn(local.resolve("out"), "/copy");
        assertEquals("hi", new String(files.read("/copy/e/note")));
        assertEquals("e/note", files.stat("/copy/link").linkTarget());

        MachineFileException missing = assertThrows(MachineFileException.class, () -> files.read("/nope"));
        assertEquals("ENOENT", missing.errnoName(), "the errno crosses the server");
        assertEquals("/nope", missing.path());
        assertThrows(MachineFileException.class, () -> files.stat("/nope"));
        assertTrue(assertThrows(InvalidConfigException.class, () -> files.write("relative", new byte[1]))
                .getMessage().contains("absolute"));
        assertTrue(assertThrows(InvalidConfigException.class, () -> files.write("/huge",
                new byte[RemoteMachineFiles.MAX_WRITE_BYTES + 1])).getMessage().contains("at most 16 MiB"));

        files.remove("/d", true);
        assertThrows(MachineFileException.class, () -> files.stat("/d"));
        machine.delete();
    }

    /** What a terminal shows, with a wait for some text. */
    private static final class Screen {
        private final StringBuilder text = new StringBuilder();

        synchronized void show(byte[] chunk) {
            text.append(new String(chunk, StandardCharsets.UTF_8));
            notifyAll();
        }

        synchronized String await(String expected) throws InterruptedException {
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!text.toString().contains(expected)) {
                long left = deadline - System.nanoTime();
                assertTrue(left > 0, "waited 10 s for '" + expected + "'; shown: " + text);
                wait(left / 1_000_000 + 1);
            }
            return text.toString();
        }
    }

    @Test
    void aTerminalWorksThroughTheServerOverAWebSocket() throws Exception {
        Machine machine = Machine.create(MachineConfig.builder().name("term").build(), options);
        Screen screen = new Screen();
        try (TerminalSession shell = machine.openTerminal(List.of("/bin/sh", "-l"), ExecOptions.builder()
                .env("TERM", "vt100").build(), 24, 80, screen::show)) {
            screen.await("$ /bin/sh -l TERM=vt100");
            shell.write("size\n".getBytes());
            screen.await("24x80");
            shell.resize(50, 132);
            shell.write("size\n".getBytes());
            screen.await("50x132");
            shell.write("exit 3\n".getBytes());
            assertEquals(3, shell.waitFor().exitCode(), "the exit code comes back over the socket");
        }
        assertThrows(InvalidConfigException.class, () -> machine.openTerminal(List.of("sh"), ExecOptions.DEFAULT, 0, 80,
                b -> { }));
        machine.stop();
        assertThrows(MachineNotRunningException.class, () -> machine.openTerminal(List.of("sh"), ExecOptions.DEFAULT, 24,
                80, b -> { }), "a refusal before the upgrade is the server's error");
        machine.delete();
    }

    @Test
    void listFiltersAndPagesTheSameRemotely() {
        LocalEngineTest.listAndPage(Engine.open(options));
    }

    @Test
    void aCommandThatCannotStartIsAnExecStartExceptionWith422AndTheMachineRunsOn() throws Exception {
        Machine machine = Machine.create(MachineConfig.builder().name("starts").build(), options);
        var missing = assertThrows(ExecStartException.class, () -> machine.exec(List.of("missing")));
        assertEquals(dev.flint.agent.StartFailure.Step.EXEC, missing.failure().step());
        assertEquals(2, missing.failure().errno());
        assertEquals("ENOENT", missing.failure().errnoName());
        assertEquals("missing", missing.failure().path());
        assertTrue(missing.commandNotFound());
        assertTrue(missing.getMessage().contains("exec missing: No such file or directory (ENOENT, errno 2)"),
                missing.getMessage());
        var noexec = assertThrows(ExecStartException.class, () -> machine.exec(List.of("noexec"), ExecOptions.DEFAULT,
                b -> { }, b -> { }));
        assertEquals("EACCES", noexec.failure().errnoName());
        assertEquals("/bin/noexec", noexec.failure().path());
        assertEquals(MachineState.RUNNING, machine.status(), "a command that did not start leaves the machine running");
        assertEquals("still\n", machine.exec(List.of("echo", "still")).stdout());

        java.net.http.HttpResponse<String> raw = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(URI.create(options.serverUri().orElseThrow() + "/v1/machines/starts/exec"))
                        .header("Authorization", "Bearer " + TOKEN)
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"argv\": [\"missing\"]}")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(422, raw.statusCode(), raw.body());
        assertTrue(raw.body().contains("\"code\":\"exec_failed\"") && raw.body().contains("\"step\":\"exec\"")
                && raw.body().contains("\"errnoName\":\"ENOENT\""), raw.body());
    }

    @Test
    void aBufferedResultKeepsAtMostMaxOutputBytesAndSaysItWasTruncated() {
        Machine machine = Machine.create(MachineConfig.builder().name("floods").build(), options);
        ExecResult capped = machine.exec(List.of("flood"), ExecOptions.builder().maxOutputBytes(1500).build());
        assertTrue(capped.truncated());
        assertEquals(1500, capped.stdoutBytes().length);
        ExecResult whole = machine.exec(List.of("flood"));
        assertEquals(3000, whole.stdoutBytes().length);
        assertTrue(!whole.truncated());
        int[] streamed = {0};
        machine.exec(List.of("flood"), ExecOptions.builder().maxOutputBytes(10).build(), b -> streamed[0] += b.length, b -> { });
        assertEquals(3000, streamed[0], "streamed output is not capped");
    }

    @Test
    void errorsComeBackAsTheSameExceptions() {
        assertTrue(assertThrows(AgentUnavailableException.class, () -> Machine.create(
                MachineConfig.builder().name("fails").bootArgs("fail-boot").build(), options)).getMessage()
                .contains("did not answer"));
        assertTrue(Machine.list(MachineQuery.all(), options).machines().isEmpty(), "a failed boot leaves no machine");
        Machine.create(MachineConfig.builder().name("taken").build(), options);
        assertTrue(assertThrows(InvalidConfigException.class, () -> Machine.create(
                MachineConfig.builder().name("taken").build(), options)).getMessage().contains("already exists"));
        assertThrows(MachineNotFoundException.class, () -> Machine.connect("m-aaaaaaaaaaaaaaaa", options));
        ConnectOptions wrongToken = ConnectOptions.server(options.serverUri().orElseThrow(), "not-the-token");
        assertTrue(assertThrows(FlintException.class, () -> Machine.list(MachineQuery.all(), wrongToken)).getMessage()
                .contains("FLINT_TOKEN"));
        ConnectOptions nobody = ConnectOptions.server(URI.create("http://127.0.0.1:1"), null);
        assertTrue(assertThrows(FlintException.class, () -> Machine.list(MachineQuery.all(), nobody)).getMessage()
                .contains("cannot reach the Flint server"));
    }
}
