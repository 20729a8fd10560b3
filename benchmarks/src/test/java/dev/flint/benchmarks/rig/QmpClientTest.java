package dev.flint.benchmarks.rig;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QmpClientTest {
    @Test
    void aReturnIsTheReplyAndItsFieldsCanBeRead() throws Exception {
        Optional<Object> reply = QmpClient.reply("query-status",
                "{\"return\": {\"running\": false, \"singlestep\": false, \"status\": \"paused\"}}");
        assertTrue(reply.isPresent());
        assertEquals(Optional.of("paused"), QmpClient.field(reply.get(), "status"));
        assertEquals(Optional.empty(), QmpClient.field(reply.get(), "running"), "not a string");
        assertEquals(Optional.empty(), QmpClient.field(reply.get(), "absent"));
        assertEquals(Optional.of(Map.of()), QmpClient.reply("cont", "{\"return\": {}}"));
    }

    @Test
    void eventsAndTheGreetingAreNotReplies() throws Exception {
        assertEquals(Optional.empty(), QmpClient.reply("cont", "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2},"
                + " \"event\": \"RESUME\"}"));
        assertEquals(Optional.empty(), QmpClient.reply("x", "{\"QMP\": {\"version\": {}, \"capabilities\": [\"oob\"]}}"));
    }

    @Test
    void anErrorReplyNamesTheCommandClassAndDescription() {
        QmpClient.QmpException e = assertThrows(QmpClient.QmpException.class, () -> QmpClient.reply("migrate",
                "{\"error\": {\"class\": \"GenericError\", \"desc\": \"There's a migration process in progress\"}}"));
        assertEquals("QMP migrate failed: GenericError: There's a migration process in progress", e.getMessage());
    }

    @Test
    void whatIsNotQmpIsRefusedClearly() {
        assertTrue(assertThrows(QmpClient.QmpException.class, () -> QmpClient.reply("stop", "{\"return\": "))
                .getMessage().contains("not JSON"));
        assertTrue(assertThrows(QmpClient.QmpException.class, () -> QmpClient.reply("stop", "[1, 2]"))
                .getMessage().contains("not a JSON object"));
        assertTrue(assertThrows(QmpClient.QmpException.class, () -> QmpClient.reply("stop", "{\"other\": 1}"))
                .getMessage().contains("neither return, error nor event"));
    }

    /** A fake QEMU: greeting, then for each command line read, the scripted answer lines. */
    @Test
    void negotiatesCapabilitiesSkipsEventsAndSendsArguments(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("qmp.sock");
        List<String> received = new ArrayList<>();
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            Thread qemu = Thread.ofPlatform().start(() -> {
                try (SocketChannel peer = server.accept()) {
                    BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(peer), StandardCharsets.UTF_8));
                    send(peer, "{\"QMP\": {\"version\": {\"qemu\": {\"major\": 7}}, \"capabilities\": []}}\r\n");
                    received.add(in.readLine());
                    send(peer, "{\"return\": {}}\r\n");
                    received.add(in.readLine());
                    send(peer, "{\"event\": \"STOP\", \"timestamp\": {}}\r\n{\"return\": {}}\r\n");
                    received.add(in.readLine());
                    send(peer, "{\"return\": {\"status\": \"completed\"}}\r\n");
                } catch (Exception e) {
                    received.add("fake QEMU failed: " + e);
                }
            });
            try (QmpClient client = QmpClient.connect(socket, Duration.ofSeconds(5))) {
                assertEquals(Map.of(), client.execute("stop", Map.of()));
                assertEquals(Optional.of("completed"), QmpClient.field(client.execute("migrate",
                        Map.of("uri", "exec:cat > /tmp/f")), "status"));
            }
            qemu.join(5_000);
        }
        // One command a line, as QMP reads them.
        assertEquals(List.of("{\"execute\":\"qmp_capabilities\"}", "{\"execute\":\"stop\"}",
                "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"exec:cat > /tmp/f\"}}"), received);
    }

    @Test
    void noSocketWithinTheTimeoutSaysWhere(@TempDir Path dir) {
        Path socket = dir.resolve("none.sock");
        Exception e = assertThrows(java.io.IOException.class, () -> QmpClient.connect(socket, Duration.ofMillis(50)));
        assertTrue(e.getMessage().contains("no QMP socket at " + socket), e.getMessage());
    }

    private static void send(SocketChannel peer, String text) throws java.io.IOException {
        peer.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
    }
}
