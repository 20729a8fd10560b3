package dev.flint.machine.cli;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RunCommandTest {
    @Test
    void parsesMachineAndExecOptionsAndTheCommandAfterTheSeparator() throws Exception {
        RunCommand.Options options = RunCommand.parse(List.of("--cpus", "2", "--memory-mb", "512", "--env", "A=b=c",
                "--workdir", "/tmp", "--timeout", "5", "--", "sh", "-c", "echo --cpus"));
        assertEquals(2, options.config().cpus());
        assertEquals(512, options.config().memoryMb());
        assertEquals("b=c", options.exec().env().get("A"));
        assertEquals("/tmp", options.exec().workdir().orElseThrow());
        assertEquals(Duration.ofSeconds(5), options.exec().timeout().orElseThrow());
        assertEquals(List.of("sh", "-c", "echo --cpus"), options.command());
    }

    @Test
    void badInputGetsOneClearLine() {
        assertTrue(assertThrows(UsageException.class, () -> RunCommand.parse(List.of())).getMessage()
                .contains("run needs a command after --"));
        assertTrue(assertThrows(UsageException.class, () -> RunCommand.parse(List.of("uname"))).getMessage()
                .contains("put the command after --"));
        assertTrue(assertThrows(UsageException.class, () -> RunCommand.parse(List.of("--env", "novalue", "--", "x")))
                .getMessage().contains("--env needs KEY=VALUE"));
        assertTrue(assertThrows(UsageException.class, () -> RunCommand.parse(List.of("--workdir", "rel", "--", "x")))
                .getMessage().contains("absolute"));
        assertTrue(assertThrows(UsageException.class, () -> RunCommand.parse(List.of("--name", "No_Caps", "--", "x")))
                .getMessage().contains("machine name"));
    }

    @Test
    void parsesMountsAndTheMachinesOwnDisk(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        RunCommand.Options options = RunCommand.parse(List.of("--mount", dir + ":/src:ro", "--mount", dir + ":/out",
                "--disk-mb", "128", "--keep-disk", "--", "ls"));
        assertEquals(2, options.config().mounts().size());
        assertTrue(options.config().mounts().get(0).readOnly());
        assertEquals("/out", options.config().mounts().get(1).target());
        assertEquals(128, options.config().diskMb());
        assertTrue(options.config().retainDisk());
        for (String bad : new String[] {"nocolon", dir + ":/w:rw", ":/w", dir + ":relative"}) {
            assertThrows(UsageException.class, () -> RunCommand.parse(List.of("--mount", bad, "--", "ls")), bad);
        }
        assertTrue(assertThrows(UsageException.class, () -> RunCommand.parse(List.of("--mount", dir.resolve("gone")
                + ":/w", "--", "ls"))).getMessage().contains("does not exist"));
    }
}
