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

    @Test
    void parsesPortsAndTheNetworkPolicy() throws Exception {
        RunCommand.Options options = RunCommand.parse(List.of("--port", "8080:80", "--port", "0.0.0.0:0:53/udp",
                "--allow", "10.0.0.0/8", "--", "ls"));
        assertEquals(List.of(dev.flint.machine.PortSpec.tcp(8080, 80),
                new dev.flint.machine.PortSpec(0, 53, dev.flint.machine.PortSpec.Protocol.UDP, "0.0.0.0")), options.config().ports());
        assertEquals(dev.flint.machine.NetworkPolicy.Egress.ALLOW_LISTED, options.config().network().egress());
        assertEquals(dev.flint.machine.NetworkPolicy.Egress.DENY_ALL,
                RunCommand.parse(List.of("--deny-all", "--", "ls")).config().network().egress());
        assertEquals("tap0", RunCommand.parse(List.of("--network", "tap:tap0", "--", "ls")).config().network().tap().orElseThrow());
        assertTrue(!RunCommand.parse(List.of("--network", "none", "--", "ls")).config().network().enabled());
        for (List<String> bad : List.of(List.of("--network", "wifi"), List.of("--deny-all", "--allow", "10.0.0.0/8"),
                List.of("--network", "none", "--deny-all"), List.of("--port", "80"), List.of("--allow", "10.0.0.0/99"))) {
            List<String> args = new java.util.ArrayList<>(bad);
            args.addAll(List.of("--", "ls"));
            assertThrows(UsageException.class, () -> RunCommand.parse(args), bad.toString());
        }
    }
}
