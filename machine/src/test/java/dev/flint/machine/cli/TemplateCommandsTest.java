package dev.flint.machine.cli;

import dev.flint.machine.TestHome;
import dev.flint.machine.FakeEngines;
import dev.flint.machine.WarmPoolMode;
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
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** flint template, flint pool and create --template/--warm-pool: parsing, help, exit statuses, a session. */
class TemplateCommandsTest {
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
        TemplateCommands.Options build = TemplateCommands.parse("template", List.of("build", "py", "--memory-mb", "192",
                "--disk-mb", "64", "--env", "A=1", "--setup", "echo one && echo two", "--setup", "true"));
        assertEquals(TemplateCommands.Action.BUILD, build.action());
        assertEquals(192, build.spec().memoryMb());
        assertEquals(64, build.spec().diskMb());
        assertEquals(List.of(List.of("/bin/sh", "-c", "echo one && echo two"), List.of("/bin/sh", "-c", "true")),
                build.spec().setup());
        assertEquals(new TemplateCommands.Options(TemplateCommands.Action.CREATE_POOL, "p", null, "py", 2, false),
                TemplateCommands.parse("pool", List.of("create", "p", "--template", "py", "--size", "2")));
        assertEquals(TemplateCommands.Action.LIST, TemplateCommands.parse("template", List.of("ls", "--json")).action());
        assertEquals(TemplateCommands.Action.DELETE_POOL, TemplateCommands.parse("pool", List.of("rm", "p")).action());
        assertThrows(UsageException.class, () -> TemplateCommands.parse("pool", List.of("create", "p", "--size", "2")));
        assertThrows(UsageException.class, () -> TemplateCommands.parse("pool", List.of("create", "p", "--template", "py",
                "--size", "0")));
        assertThrows(UsageException.class, () -> TemplateCommands.parse("template", List.of("build", "Bad")));
        assertThrows(UsageException.class, () -> TemplateCommands.parse("template", List.of("build", "py", "--size", "2")));
        assertThrows(UsageException.class, () -> TemplateCommands.parse("pool", List.of("create", "p", "--setup", "x")));
        var config = CreateCommand.parse(List.of("w", "--template", "py", "--warm-pool", "p", "--pool-mode", "require",
                "--pool-wait-ms", "250")).config().template().orElseThrow();
        assertEquals(new dev.flint.machine.TemplateUse("py", Optional.of("p"), WarmPoolMode.REQUIRE, Duration.ofMillis(250)),
                config);
        assertThrows(UsageException.class, () -> CreateCommand.parse(List.of("w", "--warm-pool", "p")), "needs --template");
        assertThrows(UsageException.class, () -> CreateCommand.parse(List.of("w", "--template", "t", "--warm-pool", "p",
                "--pool-mode", "maybe")));
        for (String command : List.of("template", "pool")) {
            assertEquals(0, run(Map.of(), command, "--help"), command);
            assertTrue(stdout().startsWith("Usage: flint " + command), command + ":\n" + stdout());
        }
        assertEquals(ExitCodes.NO_SERVER, run(Map.of(), "template", "ls"));
    }

    @Test
    void aSessionAgainstAServer() throws Exception {
        try (MachineServer server = MachineServer.start(new FakeEngines().persistent(home),
                new ListenAddress("127.0.0.1", 0), Optional.of("tpl-cli-1"))) {
            Map<String, String> env = Map.of("FLINT_SERVER", "http://127.0.0.1:" + server.port(), "FLINT_TOKEN", "tpl-cli-1");
            assertEquals(0, run(env, "template", "build", "py", "--memory-mb", "128", "--setup", "echo hi"));
            assertEquals("py\n", stdout());
            assertEquals(ExitCodes.USAGE, run(env, "template", "build", "py"), "the name is taken");
            assertEquals(0, run(env, "template", "ls"));
            assertTrue(stdout().startsWith("NAME") && stdout().contains("py"), stdout());
            assertEquals(0, run(env, "template", "ls", "--json"));
            var templates = dev.flint.machine.wire.MachineJson.parse(stdout(), "template ls --json").get("templates");
            assertEquals(1, templates.size(), stdout());
            assertEquals("py", templates.get(0).get("name").asText());
            assertEquals(128, templates.get(0).get("spec").get("memoryMb").asInt(), stdout());
            assertEquals(0, run(env, "pool", "create", "pp", "--template", "py", "--size", "1"));
            assertEquals(0, run(env, "pool", "ls", "--json"));
            assertTrue(stdout().contains("\"name\":\"pp\""), stdout());
            assertEquals(0, run(env, "create", "w1", "--template", "py", "--warm-pool", "pp", "--pool-wait-ms", "5000",
                    "--json"));
            assertTrue(stdout().contains("\"flint.dev/warm-pool-checkout\":\"WARM\""), stdout());
            assertEquals(ExitCodes.NOT_FOUND, run(env, "create", "w2", "--template", "nothing"));
            assertEquals(ExitCodes.WRONG_STATE, run(env, "template", "rm", "py"), "its pool uses it");
            assertEquals(0, run(env, "pool", "rm", "pp"));
            assertEquals(0, run(env, "delete", "w1"));
            assertEquals(0, run(env, "template", "rm", "py"));
            assertEquals(ExitCodes.NOT_FOUND, run(env, "template", "rm", "py"));
        }
    }
}
