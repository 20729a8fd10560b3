package dev.flint.machine.cli;

import dev.flint.machine.ConnectOptions;
import dev.flint.machine.FakeEngines;
import dev.flint.machine.MachineState;
import dev.flint.machine.server.ListenAddress;
import dev.flint.machine.server.MachineServer;
import dev.flint.machine.wire.MachineJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The machine commands: argument parsing of each, help and exit statuses, no server, and a session against a server. */
class MachineCommandsTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(Map<String, String> env, String... args) throws Exception {
        out.reset();
        err.reset();
        return Flint.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), env);
    }

    private String stdout() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String stderr() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private static String usageError(ThrowingParse parse) {
        return assertThrows(UsageException.class, parse::run).getMessage();
    }

    private interface ThrowingParse {
        void run() throws Exception;
    }

    @Test
    void createParsesEveryMachineOption(@TempDir Path dir) throws Exception {
        CreateCommand.Options options = CreateCommand.parse(List.of("web-1", "--cpus", "1", "--memory-mb", "512",
                "--env", "A=b=c", "--workdir", "/srv", "--metadata", "team=infra", "--ttl", "60", "--boot-timeout", "30",
                "--boot-args", "loglevel=8", "--disk-mb", "64", "--keep-disk", "--mount", dir + ":/src:ro",
                "--network", "none", "--no-start", "--json"));
        assertEquals("web-1", options.config().name());
        assertEquals(512, options.config().memoryMb());
        assertEquals("b=c", options.config().env().get("A"));
        assertEquals("/srv", options.config().workdir().orElseThrow());
        assertEquals("infra", options.config().metadata().get("team"));
        assertEquals(Duration.ofSeconds(60), options.config().timeout().orElseThrow());
        assertEquals(Duration.ofSeconds(30), options.config().bootTimeout());
        assertEquals("loglevel=8", options.config().bootArgs());
        assertEquals(64, options.config().diskMb());
        assertTrue(options.config().retainDisk());
        assertTrue(options.config().mounts().get(0).readOnly());
        assertFalse(options.config().network().enabled());
        assertFalse(options.config().startOnCreate());
        assertTrue(options.json());
        assertTrue(CreateCommand.parse(List.of("w")).config().startOnCreate());

        assertTrue(usageError(() -> CreateCommand.parse(List.of())).contains("create needs a NAME"));
        assertTrue(usageError(() -> CreateCommand.parse(List.of("a", "b"))).contains("one NAME"));
        assertTrue(usageError(() -> CreateCommand.parse(List.of("Web"))).contains("machine name"));
        assertTrue(usageError(() -> CreateCommand.parse(List.of("w", "--metadata", "novalue"))).contains("KEY=VALUE"));
        assertTrue(usageError(() -> CreateCommand.parse(List.of("w", "--workdir", "rel"))).contains("absolute"));
        assertTrue(usageError(() -> CreateCommand.parse(List.of("w", "--fly"))).contains("unknown option for create: --fly"));
    }

    @Test
    void lsParsesFiltersAndPaging() throws Exception {
        ListCommand.Options options = ListCommand.parse(List.of("--state", "running,stopped", "--name", "w",
                "--metadata", "k=v", "--limit", "5", "--cursor", "c3", "--json"));
        assertEquals(java.util.Set.of(MachineState.RUNNING, MachineState.STOPPED), options.query().states());
        assertEquals("w", options.query().name().orElseThrow());
        assertEquals("v", options.query().metadata().get("k"));
        assertEquals(5, options.query().limit());
        assertEquals("c3", options.query().cursor().orElseThrow());
        assertFalse(options.allPages());
        assertTrue(options.json());
        assertTrue(ListCommand.parse(List.of()).allPages());
        assertTrue(usageError(() -> ListCommand.parse(List.of("--state", "flying"))).contains("state must be one of"));
        assertTrue(usageError(() -> ListCommand.parse(List.of("--limit", "0"))).contains("--limit must be between 1"));
        assertTrue(usageError(() -> ListCommand.parse(List.of("--cursor", "x"))).contains("cursor 'x'"));
        assertTrue(usageError(() -> ListCommand.parse(List.of("extra"))).contains("unknown argument for ls"));
    }

    @Test
    void machineVerbsTakeOneMachineAndTheirOwnOptions() throws Exception {
        MachineCommand.Options start = MachineCommand.parse(MachineCommand.Verb.START, List.of("m-1", "--boot-timeout", "9"));
        assertEquals("m-1", start.machine());
        assertEquals(Duration.ofSeconds(9), start.timeout().orElseThrow());
        assertEquals(Duration.ofSeconds(0), MachineCommand.parse(MachineCommand.Verb.STOP, List.of("w", "--timeout", "0"))
                .timeout().orElseThrow());
        assertTrue(MachineCommand.parse(MachineCommand.Verb.INFO, List.of("--json", "w")).json());
        for (MachineCommand.Verb verb : MachineCommand.Verb.values()) {
            assertEquals("w", MachineCommand.parse(verb, List.of("w")).machine());
            assertTrue(usageError(() -> MachineCommand.parse(verb, List.of())).contains("needs a MACHINE"));
            assertTrue(usageError(() -> MachineCommand.parse(verb, List.of("a", "b"))).contains("one MACHINE"));
        }
        assertTrue(usageError(() -> MachineCommand.parse(MachineCommand.Verb.DELETE, List.of("w", "--json")))
                .contains("unknown option for delete: --json"));
        assertTrue(usageError(() -> MachineCommand.parse(MachineCommand.Verb.STOP, List.of("w", "--boot-timeout", "1")))
                .contains("unknown option for stop"));
    }

    @Test
    void execAndShellParseTheCommand() throws Exception {
        ExecCommand.Options exec = ExecCommand.parse(List.of("w", "--env", "A=1", "--workdir", "/tmp", "--timeout", "3",
                "--", "sh", "-c", "echo --env"), false);
        assertEquals("w", exec.machine());
        assertEquals(List.of("sh", "-c", "echo --env"), exec.command());
        assertEquals("1", exec.exec().env().get("A"));
        assertEquals("/tmp", exec.exec().workdir().orElseThrow());
        assertEquals(Duration.ofSeconds(3), exec.exec().timeout().orElseThrow());
        assertEquals(List.of("cd /srv && ls"), ExecCommand.parse(List.of("w", "cd /srv && ls"), true).command());
        assertEquals(List.of("echo hi"), ExecCommand.parse(List.of("w", "echo", "hi"), true).command());
        assertTrue(usageError(() -> ExecCommand.parse(List.of("w", "uname"), false)).contains("put the command after --"));
        assertTrue(usageError(() -> ExecCommand.parse(List.of("w"), false)).contains("exec needs a command after --"));
        assertTrue(ExecCommand.parse(List.of("w"), true).interactive(), "flint shell NAME: a login shell on a terminal");
        assertTrue(ExecCommand.parse(List.of("-it", "w", "--", "top"), false).interactive());
        assertTrue(usageError(() -> ExecCommand.parse(List.of("-it", "w"), false)).contains("exec needs a command"));
        assertTrue(usageError(() -> ExecCommand.parse(List.of(), false)).contains("needs a MACHINE"));
    }

    @Test
    void serveListensOnLoopbackByDefaultAndNeedsATokenElsewhere() throws Exception {
        ServeCommand.Options defaults = ServeCommand.parse(List.of(), Map.of());
        assertEquals(ListenAddress.DEFAULT, defaults.listen());
        assertTrue(defaults.token().isEmpty());
        assertEquals("secret-token", ServeCommand.parse(List.of(), Map.of("FLINT_TOKEN", "secret-token")).token().orElseThrow());
        ServeCommand.Options v6 = ServeCommand.parse(List.of("--listen", "[::1]:9000"), Map.of());
        assertEquals(new ListenAddress("::1", 9000), v6.listen());
        assertTrue(usageError(() -> ServeCommand.parse(List.of("--listen", "0.0.0.0:8080"), Map.of())).contains("needs --token"));
        assertEquals("0.0.0.0", ServeCommand.parse(List.of("--listen", "0.0.0.0:8080", "--token", "long-enough"), Map.of())
                .listen().host());
        assertTrue(usageError(() -> ServeCommand.parse(List.of("--listen", "8080"), Map.of())).contains("HOST:PORT"));
        assertTrue(usageError(() -> ServeCommand.parse(List.of("--listen", "h:x"), Map.of())).contains("port must be a number"));
    }

    @Test
    void serverOptionsComeFromFlagsOrTheEnvironment() throws Exception {
        ExecCommand exec = Flint.parse(List.of("exec", "w", "--server", "http://h:1", "--token", "t0ken", "--", "--server"),
                ExecCommand.class);
        ConnectOptions flags = exec.target().options(Map.of());
        assertEquals("http://h:1", flags.serverUri().orElseThrow().toString());
        assertEquals("t0ken", flags.token().orElseThrow());
        assertEquals(List.of("--server"), exec.request().command(), "the command after -- is left alone");
        ConnectOptions env = Flint.parse(List.of("info", "w"), MachineCommand.class).target()
                .options(Map.of("FLINT_SERVER", "http://e:2", "FLINT_TOKEN", "x"));
        assertEquals("http://e:2", env.serverUri().orElseThrow().toString());
        assertTrue(Flint.parse(List.of("info", "w"), MachineCommand.class).target().options(Map.of()).isLocal());
        assertTrue(usageError(() -> Flint.parse(List.of("ls", "--token", "t"), ListCommand.class).target().options(Map.of()))
                .contains("--token needs a server"));
        assertTrue(usageError(() -> Flint.parse(List.of("ls", "--server", "ftp://h"), ListCommand.class).target()
                .options(Map.of())).contains("http://"));
        ConnectOptions beforeTheSubcommand = Flint.parse(List.of("snapshots", "--server", "http://h:3", "ls"),
                SnapshotCommands.class).target().options(Map.of());
        assertEquals("http://h:3", beforeTheSubcommand.serverUri().orElseThrow().toString(),
                "--server before the subcommand applies to it");
    }

    @Test
    void everyCommandHasHelpWithItsExitStatuses() throws Exception {
        for (String command : List.of("create", "ls", "info", "exec", "shell", "logs", "start", "stop", "restart", "delete",
                "serve", "run")) {
            assertEquals(0, run(Map.of(), command, "--help"), command);
            assertTrue(stdout().startsWith("Usage: flint " + command), command + ":\n" + stdout());
            assertTrue(stdout().contains("Exit status"), command);
        }
        assertEquals(0, run(Map.of(), "help", "ls"));
        assertTrue(stdout().startsWith("Usage: flint ls"));
        assertEquals(0, run(Map.of(), "help"));
        for (String command : List.of("serve", "create", "ls", "exec", "shell", "logs", "delete")) {
            assertTrue(stdout().contains(command), "flint help lists " + command);
        }
    }

    @Test
    void withoutAServerOrTheAutoServerMachineCommandsSaySoAndExit4ButTyposAreStill2() throws Exception {
        Map<String, String> noAuto = Map.of(AutoServer.SWITCH, "0");
        assertEquals(ExitCodes.NO_SERVER, run(noAuto, "create", "web"));
        assertTrue(stderr().contains("flint create needs a Flint server") && stderr().contains("flint serve"), stderr());
        assertEquals(ExitCodes.NO_SERVER, run(noAuto, "ls"));
        assertEquals(ExitCodes.USAGE, run(Map.of(), "create", "--cpus"));
        assertTrue(stderr().contains("--cpus needs a value") && stderr().contains("flint create --help"), stderr());
        assertEquals(ExitCodes.NO_SERVER, run(Map.of(), "ls", "--server", "http://127.0.0.1:1"));
        assertTrue(stderr().contains("cannot reach the Flint server"), stderr());
    }

    @Test
    void cpCopiesFilesAndTreesBothWaysAsDockerCp(@TempDir Path home, @TempDir Path local) throws Exception {
        try (MachineServer server = MachineServer.start(new FakeEngines().persistent(home),
                new ListenAddress("127.0.0.1", 0), Optional.of("cli-token-1"))) {
            Map<String, String> env = Map.of("FLINT_SERVER", "http://127.0.0.1:" + server.port(), "FLINT_TOKEN", "cli-token-1");
            assertEquals(0, run(env, "create", "box"), stderr());
            java.nio.file.Files.writeString(local.resolve("app.conf"), "port=80\n");
            java.nio.file.Files.createDirectories(local.resolve("site/css"));
            java.nio.file.Files.writeString(local.resolve("site/css/a.css"), "body{}");
            java.nio.file.Files.createSymbolicLink(local.resolve("site/index"), Path.of("css/a.css"));

            assertEquals(0, run(env, "cp", local.resolve("app.conf").toString(), "box:/app.conf"), stderr());
            assertEquals(0, run(env, "cp", local.resolve("site").toString(), "box:/"), stderr());
            assertTrue(stderr().contains("copied 4 entries"), stderr());
            java.nio.file.Files.createDirectories(local.resolve("back"));
            assertEquals(0, run(env, "cp", "box:/app.conf", local.resolve("back").toString()), stderr());
            assertEquals("port=80\n", java.nio.file.Files.readString(local.resolve("back/app.conf")),
                    "into an existing directory, under its own name");
            assertEquals(0, run(env, "cp", "box:/site", local.resolve("back").toString()), stderr());
            assertEquals("body{}", java.nio.file.Files.readString(local.resolve("back/site/css/a.css")));
            assertEquals(Path.of("css/a.css"), java.nio.file.Files.readSymbolicLink(local.resolve("back/site/index")));

            assertEquals(1, run(env, "cp", "box:/missing", local.toString()));
            assertTrue(stderr().contains("No such file or directory"), stderr());
            assertEquals(ExitCodes.USAGE, run(env, "cp", "a", "b"));
            assertTrue(stderr().contains("exactly one of SRC and DST is MACHINE:/path"), stderr());
            assertEquals(ExitCodes.USAGE, run(env, "cp", "a", "box:relative"));
            assertEquals(ExitCodes.NOT_FOUND, run(env, "cp", "a", "nobox:/x"));
        }
    }

    @Test
    void aSessionAgainstAServer(@TempDir Path home) throws Exception {
        try (MachineServer server = MachineServer.start(new FakeEngines().persistent(home),
                new ListenAddress("127.0.0.1", 0), Optional.of("cli-token-1"))) {
            Map<String, String> env = Map.of("FLINT_SERVER", "http://127.0.0.1:" + server.port(), "FLINT_TOKEN", "cli-token-1");
            assertEquals(0, run(env, "create", "web-1", "--metadata", "team=a"), stderr());
            String id = stdout().strip();
            assertTrue(id.matches("m-[a-z2-7]{16}"), id);
            assertEquals(0, run(env, "create", "db-1", "--no-start", "--json"), stderr());
            assertEquals("stopped", MachineJson.parse(stdout(), "out").get("state").asText());

            assertEquals(0, run(env, "ls"));
            assertTrue(stdout().startsWith("ID"), stdout());
            assertTrue(stdout().contains(id) && stdout().contains("web-1") && stdout().contains("db-1"), stdout());
            assertEquals(0, run(env, "ls", "--json", "--metadata", "team=a"));
            assertEquals(1, MachineJson.parse(stdout(), "out").get("machines").size());
            assertEquals(0, run(env, "ls", "--limit", "1"));
            assertTrue(stderr().contains("--cursor c"), stderr());

            assertEquals(0, run(env, "exec", "web-1", "--", "echo", "hello"));
            assertEquals("hello\n", stdout());
            assertEquals(3, run(env, "exec", id, "--", "fail"), "exec passes the command's exit code through");
            assertEquals("failing on purpose\n", stderr());
            assertEquals(0, run(env, "shell", "web-1", "echo $HOME"));
            assertEquals("login:echo $HOME", stdout());
            assertEquals(ExitCodes.TIMEOUT, run(env, "exec", "web-1", "--timeout", "1", "--", "hang"));
            assertEquals(127, run(env, "exec", "web-1", "--", "missing"), "not found, as a shell says");
            assertTrue(stderr().contains("No such file or directory (ENOENT, errno 2)"), stderr());
            assertEquals(126, run(env, "exec", "web-1", "--", "noexec"), "not executable, as a shell says");
            assertEquals(0, run(env, "exec", "web-1", "--", "echo", "after"), "the machine runs on");

            assertEquals(0, run(env, "info", "web-1"));
            assertTrue(stdout().contains("state:     running") && stdout().contains("metadata:  team=a"), stdout());
            assertEquals(0, run(env, "info", "web-1", "--json"));
            var info = MachineJson.parse(stdout(), "info --json");
            assertEquals(id, info.get("id").asText());
            assertEquals("running", info.get("state").asText(), stdout());
            assertEquals(0, run(env, "logs", "web-1"));
            assertEquals("fake console of web-1\n", stdout());
            assertEquals(0, run(env, "stop", "web-1"));
            assertEquals(ExitCodes.WRONG_STATE, run(env, "exec", "web-1", "--", "echo"));
            assertTrue(stderr().contains("is stopped"), stderr());
            assertEquals(0, run(env, "start", "web-1"));
            assertEquals(ExitCodes.WRONG_STATE, run(env, "start", "web-1"));
            assertEquals(0, run(env, "restart", "web-1"));
            assertEquals(0, run(env, "delete", "web-1"));
            assertEquals(ExitCodes.NOT_FOUND, run(env, "info", "web-1"));
            assertTrue(stderr().contains("no machine with id or name 'web-1'"), stderr());
            assertEquals(ExitCodes.USAGE, run(env, "create", "db-1"));
            assertTrue(stderr().contains("already exists"), stderr());
            assertEquals(ExitCodes.NO_SERVER, run(Map.of("FLINT_SERVER", env.get("FLINT_SERVER")), "ls"));
            assertTrue(stderr().contains("FLINT_TOKEN"), stderr());
        }
    }
}
