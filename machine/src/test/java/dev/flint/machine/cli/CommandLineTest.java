package dev.flint.machine.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What picocli gives every command: generated help, the version, typo suggestions, exit 2 for usage errors, completion. */
class CommandLineTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) throws Exception {
        out.reset();
        err.reset();
        return Flint.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), Map.of(AutoServer.SWITCH, "0"));
    }

    private String stdout() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String stderr() {
        return err.toString(StandardCharsets.UTF_8);
    }

    /** Every command and subcommand, as the words after flint ("snapshots rm"); the hidden one left out. */
    private static List<String> commands() {
        List<String> names = new ArrayList<>();
        PrintStream quiet = new PrintStream(PrintStream.nullOutputStream());
        collect(Flint.commandLine(new CliContext(quiet, quiet, Map.of(), null)), names);
        return names;
    }

    private static void collect(CommandLine command, List<String> names) {
        for (CommandLine sub : command.getSubcommands().values()) {
            if (!sub.getCommandSpec().usageMessage().hidden() && !sub.getCommandName().equals("help")) {
                names.add(UsageErrors.name(sub));
                collect(sub, names);
            }
        }
    }

    @Test
    void everyCommandAndSubcommandHasGeneratedHelpWithItsExitStatuses() throws Exception {
        List<String> commands = commands();
        assertTrue(commands.containsAll(List.of("create", "snapshots rm", "template build", "pool create", "server status",
                "completion")), commands.toString());
        for (String command : commands) {
            List<String> args = new ArrayList<>(List.of(command.split(" ")));
            args.add("--help");
            assertEquals(0, run(args.toArray(String[]::new)), command);
            assertTrue(stdout().startsWith("Usage: flint " + command), command + ":\n" + stdout());
            assertTrue(stdout().contains("Exit status"), command + ":\n" + stdout());
            assertTrue(stdout().contains("-h, --help"), command + ":\n" + stdout());
        }
        assertEquals(0, run("help", "create"));
        assertTrue(stdout().startsWith("Usage: flint create") && stdout().contains("--from-snapshot=SNAP")
                && stdout().contains("--server=URL") && stdout().contains(ExitCodes.TEXT.substring(0, 40)), stdout());
    }

    @Test
    void theHiddenTrainingCommandStaysHidden() throws Exception {
        assertEquals(0, run("--help"));
        assertFalse(stdout().contains(Flint.AOT_TRAINING), stdout());
        assertEquals(0, run("completion", "bash"));
        assertFalse(stdout().contains(Flint.AOT_TRAINING), "not completed either");
    }

    @Test
    void versionIsTheProjectVersion() throws Exception {
        assertEquals(0, run("--version"));
        assertTrue(stdout().matches("flint \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?\\n"), stdout());
        assertEquals(0, run("-V"));
        assertTrue(stdout().startsWith("flint " + FlintVersion.version()), stdout());
    }

    @Test
    void aMistypedCommandOrOptionGetsASuggestionAndExit2() throws Exception {
        assertEquals(2, run("craete", "web-1"));
        assertTrue(stderr().contains("flint: unknown command: craete\nDid you mean: flint create?\n"), stderr());
        assertEquals(2, run("snapshots", "lss"));
        assertTrue(stderr().contains("Did you mean: flint snapshots ls?"), stderr());
        assertEquals(2, run("create", "web-1", "--cpu", "2"));
        assertTrue(stderr().contains("unknown option for create: --cpu\nDid you mean: --cpus?\n"
                + "Run 'flint create --help' for usage."), stderr());
        assertEquals(2, run("help", "craete"));
        assertTrue(stderr().startsWith("flint: ") && stderr().contains("craete"), stderr());
        assertEquals(2, run("zzzzzz"));
        assertFalse(stderr().contains("Did you mean"), "nothing close, nothing suggested: " + stderr());
        assertEquals(1, Suggestions.distance("craete", "create"), "a swap is one edit");
        assertEquals(3, Suggestions.distance("", "abc"));
    }

    @Test
    void everyUsageErrorIsExit2WithOneClearLine() throws Exception {
        for (String command : commands()) {
            List<String> args = new ArrayList<>(List.of(command.split(" ")));
            args.add("--no-such-option");
            assertEquals(2, run(args.toArray(String[]::new)), command);
            assertTrue(stderr().startsWith("flint: unknown option for " + command + ": --no-such-option\n")
                    || stderr().startsWith("flint: " + command + " needs "), "a missing argument is said first: " + stderr());
            assertTrue(stderr().endsWith("Run 'flint " + command + " --help' for usage.\n"), stderr());
        }
        assertEquals(2, run("server"));
        assertTrue(stderr().contains("server takes status or stop"), stderr());
        assertEquals(2, run("completion", "fish"));
        assertTrue(stderr().contains("completion takes bash or zsh, got 'fish'"), stderr());
        assertEquals(2, run("ls", "--limit", "many"));
        assertTrue(stderr().contains("--limit needs a whole number, got 'many'"), stderr());
    }

    @Test
    void guestArgumentsAfterTheSeparatorAreLeftAsTheyAre() throws Exception {
        assertEquals(List.of("ls", "-la"), ExecCommand.parse(List.of("m", "--", "ls", "-la"), false).command());
        assertEquals(List.of("sh", "-c", "echo --help", "--", "@args"), ExecCommand.parse(List.of("--timeout", "5", "m",
                "--", "sh", "-c", "echo --help", "--", "@args"), false).command());
        assertEquals(List.of("uname", "-a"), RunCommand.parse(List.of("--", "uname", "-a")).command());
        assertEquals(List.of("--cpus", "2"), RunCommand.parse(List.of("--cpus", "1", "--", "--cpus", "2")).command());
        assertEquals(1, RunCommand.parse(List.of("--cpus", "1", "--", "--cpus", "2")).config().cpus());
        assertEquals(List.of("/bin/ls -la"), ExecCommand.parse(List.of("m", "--", "/bin/ls", "-la"), true).command());
        assertTrue(ExecCommand.parse(List.of("-it", "m", "--", "top"), false).interactive(), "-it is -i and -t");
    }

    @Test
    void completionScriptsAreValidAndNameTheCommands(@TempDir Path dir) throws Exception {
        assertEquals(0, run("completion", "bash"));
        String bash = stdout();
        for (String command : List.of("create", "exec", "snapshots", "template", "pool", "completion")) {
            assertTrue(bash.contains(command), "the script completes " + command);
        }
        assertTrue(bash.contains("--memory-mb") && bash.contains("complete -F"), "options and the completion function");
        assertSyntaxValid(dir.resolve("flint.bash"), bash);
        assertEquals(0, run("completion", "zsh"));
        String zsh = stdout();
        assertTrue(zsh.startsWith(CompletionCommand.ZSH_PREAMBLE) && zsh.endsWith(bash), "zsh: bashcompinit, then the same");
        assertSyntaxValid(dir.resolve("flint.zsh"), zsh);
    }

    private static void assertSyntaxValid(Path file, String script) throws Exception {
        Files.writeString(file, script);
        Process bash = new ProcessBuilder("bash", "-n", file.toString()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        // Its pipe closed here, not by a later GC: SoakCommandTest counts this JVM's open fds.
        String output;
        try (var in = bash.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertTrue(bash.waitFor(30, TimeUnit.SECONDS), "bash -n ended");
        assertEquals(0, bash.exitValue(), "bash -n " + file + ": " + output);
    }
}
