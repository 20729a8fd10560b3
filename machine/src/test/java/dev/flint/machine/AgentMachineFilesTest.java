package dev.flint.machine;

import dev.flint.agent.AgentClient;
import dev.flint.agent.GuestFiles;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link AgentMachineFiles}, the machine API's files, over the real C agent built for this host
 * (as guest-agent's AgentIT runs it) on a Unix socket: arguments checked before the guest is
 * asked, the guest's refusals as {@link MachineFileException} with their errno.
 */
class AgentMachineFilesTest {
    @TempDir
    Path dir;

    private Process agent;
    private AgentClient client;

    @AfterEach
    void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        if (agent != null) {
            agent.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private MachineFiles files() throws Exception {
        Path source = Path.of(System.getProperty("flint.root", ".."), "guest-agent/src/main/c/flint-agent.c");
        if (!Files.exists(source)) {
            source = Path.of("../guest-agent/src/main/c/flint-agent.c");
        }
        Path binary = dir.resolve("flint-agent");
        Process gcc;
        try {
            gcc = new ProcessBuilder("gcc", "-O2", "-o", binary.toString(), source.toString()).redirectErrorStream(true).start();
        } catch (IOException e) {
            assumeTrue(false, "needs gcc to build the agent for the host: " + e.getMessage());
            return null;
        }
        String log = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, gcc.waitFor(), log);
        Path socket = dir.resolve("agent.sock");
        agent = new ProcessBuilder(binary.toString(), "--listen", "unix:" + socket).redirectErrorStream(true)
                .redirectOutput(dir.resolve("agent.log").toFile()).start();
        for (int attempt = 0; client == null; attempt++) {
            SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                channel.connect(UnixDomainSocketAddress.of(socket));
                client = AgentClient.connect(channel, Duration.ofSeconds(5));
            } catch (IOException e) {
                channel.close();
                if (attempt == 200) {
                    throw e;
                }
                Thread.sleep(10);
            }
        }
        return new AgentMachineFiles("m1", client::files, e -> new AgentUnavailableException("lost the agent: " + e.getMessage(), e));
    }

    @Test
    void everyArgumentIsCheckedBeforeTheGuestIsAsked() {
        AtomicInteger asked = new AtomicInteger();
        Supplier<GuestFiles> never = () -> {
            asked.incrementAndGet();
            throw new AssertionError("the guest was asked");
        };
        MachineFiles files = new AgentMachineFiles("m1", never, e -> new RuntimeException(e));
        List<Runnable> bad = List.of(
                () -> files.write("relative", new byte[1]),
                () -> files.write("/a\0b", new byte[1]),
                () -> files.write("/a", (byte[]) null),
                () -> files.write("/a", new byte[1], 010000),
                () -> files.write("/a", new byte[1], -1),
                () -> files.write("/a", (InputStream) null, 0644),
                () -> files.read(null),
                () -> files.readStream("x"),
                () -> files.list(""),
                () -> files.stat("/" + "a".repeat(4095)),
                () -> files.mkdirs("/a", 077777),
                () -> files.remove("a/b", true),
                () -> files.copyIn(null, "/a"),
                () -> files.copyIn(dir, "a"),
                () -> files.copyOut("/a", null),
                () -> files.copyOut("a", dir));
        for (Runnable call : bad) {
            assertThrows(InvalidConfigException.class, call::run);
        }
        assertEquals(0, asked.get());
    }

    @Test
    void aMachineThatIsNotRunningSaysSo() {
        MachineNotRunningException stopped = new MachineNotRunningException("machine m1 is stopped; start it first");
        MachineFiles files = new AgentMachineFiles("m1", () -> {
            throw stopped;
        }, e -> new RuntimeException(e));
        assertSame(stopped, assertThrows(MachineNotRunningException.class, () -> files.stat("/")));
    }

    @Test
    void filesGoBothWaysAndTheGuestsRefusalsNameTheirErrno() throws Exception {
        MachineFiles files = files();
        String file = dir.resolve("sub/data.bin").toString();
        files.mkdirs(dir.resolve("sub").toString());
        byte[] data = new byte[2 * 1024 * 1024 + 3];
        new java.util.Random(1).nextBytes(data);
        assertEquals(data.length, files.write(file, new ByteArrayInputStream(data), 0600));
        assertArrayEquals(data, files.read(file));
        try (InputStream in = files.readStream(file)) {
            assertArrayEquals(data, in.readAllBytes());
        }
        FileInfo info = files.stat(file);
        assertEquals(FileInfo.Type.FILE, info.type());
        assertEquals(0600, info.mode());
        assertEquals(data.length, info.size());
        assertEquals(List.of("data.bin"), files.list(dir.resolve("sub").toString()).stream().map(FileInfo::name).toList());

        MachineFileException missing = assertThrows(MachineFileException.class, () -> files.read(dir.resolve("nope").toString()));
        assertEquals("ENOENT", missing.errnoName());
        assertEquals(dir.resolve("nope").toString(), missing.path());
        assertTrue(missing.getMessage().startsWith("read on machine m1 failed: open " + dir.resolve("nope")
                + ": No such file or directory"), missing.getMessage());
        assertEquals("EISDIR", assertThrows(MachineFileException.class, () -> files.read(dir.toString())).errnoName());
        assertEquals("ENOTDIR", assertThrows(MachineFileException.class, () -> files.list(file)).errnoName());
        assertEquals("ENOTEMPTY", assertThrows(MachineFileException.class,
                () -> files.remove(dir.resolve("sub").toString(), false)).errnoName());
        files.remove(dir.resolve("sub").toString(), true);
        assertTrue(Files.notExists(dir.resolve("sub")));

        Path tree = Files.createDirectories(dir.resolve("tree/a"));
        Files.writeString(tree.resolve("f"), "x");
        Files.createSymbolicLink(dir.resolve("tree/l"), Path.of("a/f"));
        assertEquals(3, files.copyIn(dir.resolve("tree"), dir.resolve("in").toString()));
        assertEquals(Path.of("a/f"), Files.readSymbolicLink(dir.resolve("in/l")));
        assertEquals(3, files.copyOut(dir.resolve("in").toString(), dir.resolve("out")));
        assertEquals("x", Files.readString(dir.resolve("out/a/f")));
    }
}
