package dev.flint.benchmarks.rig;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeviceThroughputTest {
    private static final long NET_BYTES = (long) DeviceThroughput.NET_MB << 20;

    @Test
    void countsTheBodyAfterTheHeadersEvenWhenACarriageReturnInterruptsTheBlankLine() throws IOException {
        byte[] response = "HTTP/1.0 200 OK\r\nX: a\r\r\n\r\nbody!".getBytes(StandardCharsets.US_ASCII);
        assertEquals(5, DeviceThroughput.bodyBytes(new ByteArrayInputStream(response)));
        assertThrows(IOException.class, () -> DeviceThroughput.bodyBytes(
                new ByteArrayInputStream("HTTP/1.0 200 OK\r\n".getBytes(StandardCharsets.US_ASCII))));
    }

    @Test
    void downloadChecksTheWholeBodyArrived() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Void> httpd = serveOnce(server, NET_BYTES);
            assertTrue(DeviceThroughput.download(server.getLocalPort()) > 0);
            httpd.get(30, TimeUnit.SECONDS);
            CompletableFuture<Void> short_ = serveOnce(server, NET_BYTES - 1);
            IOException e = assertThrows(IOException.class, () -> DeviceThroughput.download(server.getLocalPort()));
            assertTrue(e.getMessage().contains("sent " + (NET_BYTES - 1) + " bytes of body"), e.getMessage());
            short_.get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void uploadSendsEveryByteAndWaitsForTheSinkToClose() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Long> received = CompletableFuture.supplyAsync(() -> {
                try (Socket s = server.accept(); InputStream in = s.getInputStream()) {
                    return in.transferTo(OutputStream.nullOutputStream());
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            assertTrue(DeviceThroughput.upload(server.getLocalPort()) > 0);
            assertEquals(NET_BYTES, received.get(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void thePeerGetsItsOwnBlkAndSlirpDevicesAndTheGuestItsAddress() {
        QemuMicrovm peer = new QemuMicrovm(Path.of("/q"), Path.of("/k"), Path.of("/i"), "console=ttyS0", 256, 1,
                OptionalLong.of(3));
        Map<Integer, Integer> ports = new LinkedHashMap<>();
        ports.put(40001, 8080);
        ports.put(40002, 8081);
        List<String> command = peer.withDiskAndNat(Path.of("/d.raw"), ports, DeviceThroughput.GUEST_NET_ARGUMENT).command();
        assertEquals("file=/d.raw,format=raw,if=none,id=d0", command.get(command.indexOf("-drive") + 1));
        assertTrue(command.contains("virtio-blk-device,drive=d0") && command.contains("virtio-net-device,netdev=n0"), command.toString());
        assertEquals("user,id=n0,hostfwd=tcp:127.0.0.1:40001-:8080,hostfwd=tcp:127.0.0.1:40002-:8081",
                command.get(command.indexOf("-netdev") + 1));
        assertEquals("console=ttyS0 " + DeviceThroughput.GUEST_NET_ARGUMENT, command.get(command.indexOf("-append") + 1));
        assertTrue(command.contains("vhost-vsock-device,guest-cid=3"), "the agent stays reachable: " + command);
        assertEquals(List.of(), peer.devices(), "the plain peer is unchanged");
    }

    @Test
    void mibPerSecondIsSizeOverTime() {
        assertEquals(32.0, DeviceThroughput.mibPerSecond(16, 500_000_000L), 1e-9);
    }

    private static CompletableFuture<Void> serveOnce(ServerSocket server, long bodyBytes) {
        return CompletableFuture.runAsync(() -> {
            try (Socket s = server.accept()) {
                InputStream in = s.getInputStream();
                int matched = 0;
                while (matched < 4) {   // the whole request: closing with some of it unread would reset the connection
                    int b = in.read();
                    matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : b == '\r' ? 1 : 0;
                }
                OutputStream out = s.getOutputStream();
                out.write(("HTTP/1.0 200 OK\r\nContent-Length: " + bodyBytes + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                byte[] chunk = new byte[64 << 10];
                for (long left = bodyBytes; left > 0; left -= chunk.length) {
                    out.write(chunk, 0, (int) Math.min(chunk.length, left));
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }
}
