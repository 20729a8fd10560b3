package dev.flint.virtio.vsock;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Firecracker's Unix-socket vsock face against a scripted guest. */
class VsockUnixBridgeTest {
    @TempDir
    Path dir;

    private final VsockMuxer muxer = new VsockMuxer(ScriptedGuest.CID, 4096, () -> { });
    private final ScriptedGuest guest = new ScriptedGuest(muxer);
    private VsockUnixBridge bridge;

    @AfterEach
    void close() throws Exception {
        if (bridge != null) {
            bridge.close();
        }
    }

    private static String read(SocketChannel channel, int length) throws Exception {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
            // keep reading
        }
        return new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII);
    }

    @Test
    void hostClientConnectsToAGuestPortWithConnectAndOk() throws Exception {
        Path socket = dir.resolve("v.sock");
        bridge = VsockUnixBridge.start(muxer, socket);
        SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(socket));
        client.write(ByteBuffer.wrap("CONNECT 1024\n".getBytes(StandardCharsets.US_ASCII)));

        VsockMuxer.Packet request = guest.awaitPacket();
        assertEquals(VsockHeader.OP_REQUEST, request.header().op());
        assertEquals(1024, request.header().dstPort());
        int hostPort = request.header().srcPort();
        guest.sends(VsockHeader.OP_RESPONSE, 1024, hostPort, new byte[0]);
        String ok = "OK " + Integer.toUnsignedString(hostPort) + "\n";
        assertEquals(ok, read(client, ok.length()));

        client.write(ByteBuffer.wrap("hi".getBytes(StandardCharsets.US_ASCII)));
        VsockMuxer.Packet data = guest.awaitPacket();
        assertEquals(VsockHeader.OP_RW, data.header().op());
        assertEquals("hi", new String(data.payload(), StandardCharsets.US_ASCII));
        guest.sends(VsockHeader.OP_RW, 1024, hostPort, "yo".getBytes(StandardCharsets.US_ASCII));
        assertEquals("yo", read(client, 2));
    }

    @Test
    void badConnectLinesGetAnError() throws Exception {
        Path socket = dir.resolve("v.sock");
        bridge = VsockUnixBridge.start(muxer, socket);
        SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(socket));
        client.write(ByteBuffer.wrap("HELLO\n".getBytes(StandardCharsets.US_ASCII)));
        assertTrue(read(client, 100).startsWith("ERROR expected CONNECT <port>"));
    }

    @Test
    void connectPortsAreUnsigned32BitDecimalsAndNothingElse() {
        assertEquals(OptionalLong.of(1024), VsockUnixBridge.connectPort("CONNECT 1024"));
        assertEquals(OptionalLong.of(0), VsockUnixBridge.connectPort("CONNECT 0"));
        assertEquals(OptionalLong.of(4294967295L), VsockUnixBridge.connectPort("CONNECT 4294967295"));
        assertEquals(OptionalLong.of(1024), VsockUnixBridge.connectPort("CONNECT 00000000001024"));
        for (String bad : List.of("CONNECT 4294968320", "CONNECT 4294967296", "CONNECT -1", "CONNECT 1024x",
                "CONNECT +1024", "CONNECT  1024", "CONNECT ", "CONNECT", "", "CONNECT 99999999999999999999",
                "CONNECT \u0661\u0660\u0662\u0664", "connect 1024")) {
            assertEquals(OptionalLong.empty(), VsockUnixBridge.connectPort(bad), bad);
        }
    }

    @Test
    void aPortBeyond32BitsIsRefusedNotWrappedOntoTheAgent() throws Exception {
        Path socket = dir.resolve("v.sock");
        bridge = VsockUnixBridge.start(muxer, socket);
        for (String line : List.of("CONNECT 4294968320\n", "CONNECT -1\n", "CONNECT 1024x\n", "\n")) {
            try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
                client.write(ByteBuffer.wrap(line.getBytes(StandardCharsets.US_ASCII)));
                assertEquals(VsockUnixBridge.BAD_REQUEST, read(client, 200), line);
            }
        }
        assertNull(muxer.nextForGuest(4096), "no connection request reached the guest");
        assertEquals(0, muxer.openConnections());
    }

    @Test
    void guestConnectionsReachTheSocketNamedAfterTheirPortOrAreReset() throws Exception {
        Path socket = dir.resolve("v.sock");
        bridge = VsockUnixBridge.start(muxer, socket);
        try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            listener.bind(UnixDomainSocketAddress.of(dir.resolve("v.sock_5000")));
            guest.sends(VsockHeader.OP_REQUEST, 40000, 5000, new byte[0]);
            assertEquals(VsockHeader.OP_RESPONSE, guest.awaitPacket().header().op());
            SocketChannel accepted = listener.accept();
            guest.sends(VsockHeader.OP_RW, 40000, 5000, "ping".getBytes(StandardCharsets.US_ASCII));
            assertEquals("ping", read(accepted, 4));
        }
        guest.sends(VsockHeader.OP_REQUEST, 40001, 6000, new byte[0]);
        assertEquals(VsockHeader.OP_RST, guest.awaitPacket().header().op());
    }

    @Test
    void aSocketPathInUseIsRefusedAndCloseRemovesIt() throws Exception {
        Path socket = dir.resolve("v.sock");
        bridge = VsockUnixBridge.start(muxer, socket);
        assertThrows(java.io.IOException.class, () -> VsockUnixBridge.start(muxer, socket));
        bridge.close();
        bridge = null;
        assertFalse(Files.exists(socket));
    }
}
