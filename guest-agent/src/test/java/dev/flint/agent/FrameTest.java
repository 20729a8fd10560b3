package dev.flint.agent;

import org.junit.jupiter.api.Test;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FrameTest {
    private static Frame roundTrip(Frame frame) throws IOException {
        ByteBuffer bytes = frame.encode();
        return Frame.read(Channels.newChannel(new ByteArrayInputStream(bytes.array(), 0, bytes.limit())));
    }

    @Test
    void framesRoundTripBigEndian() throws IOException {
        Frame frame = new Frame(Frame.STDOUT, 7, "hello".getBytes(StandardCharsets.US_ASCII));
        ByteBuffer wire = frame.encode();
        assertEquals(14, wire.limit());
        assertEquals(5, wire.getInt(0));
        assertEquals(Frame.STDOUT, wire.get(4));
        assertEquals(7, wire.getInt(5));
        Frame back = roundTrip(frame);
        assertEquals(Frame.STDOUT, back.type());
        assertEquals(7, back.id());
        assertArrayEquals(frame.payload(), back.payload());
    }

    @Test
    void truncatedAndOversizeFramesAreErrors() {
        byte[] wire = new Frame(Frame.PING, 1, new byte[10]).encode().array();
        assertThrows(EOFException.class, () -> Frame.read(Channels.newChannel(new ByteArrayInputStream(wire, 0, 12))));
        assertThrows(EOFException.class, () -> Frame.read(Channels.newChannel(new ByteArrayInputStream(new byte[0]))));
        byte[] huge = ByteBuffer.allocate(9).putInt(Frame.MAX_PAYLOAD + 1).put((byte) 7).putInt(1).array();
        var e = assertThrows(IOException.class, () -> Frame.read(Channels.newChannel(new ByteArrayInputStream(huge))));
        assertTrue(e.getMessage().contains("more than the protocol"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Frame(Frame.STDIN, 1, new byte[Frame.MAX_PAYLOAD + 1]));
    }

    @Test
    void execRequestEncodesEveryField() {
        ExecRequest request = ExecRequest.builder(List.of("sh", "-c", "echo hi")).env(Map.of("A", "1")).workdir("/tmp")
                .user(1000, 100).timeout(Duration.ofMillis(1500)).stdin(new byte[] {1}).build();
        ByteBuffer payload = ByteBuffer.wrap(request.encode());
        assertEquals(ExecRequest.FLAG_STDIN_OPEN, payload.getInt());
        assertEquals(1500, payload.getInt());
        assertEquals(1000, payload.getInt());
        assertEquals(100, payload.getInt());
        assertEquals(4, payload.getInt());
        payload.position(payload.position() + 4);
        assertEquals(3, payload.getInt(), "argc");
        assertEquals(2, payload.getInt());
        payload.position(payload.position() + 2);
        payload.position(payload.position() + 4 + 2);
        payload.position(payload.position() + 4 + 7);
        assertEquals(1, payload.getInt(), "envc");
        assertEquals(3, payload.getInt());
        assertEquals("A=1", new String(payload.array(), payload.position(), 3, StandardCharsets.UTF_8));
        payload.position(payload.position() + 3);
        assertEquals(0, payload.getInt(), "no supplementary groups");
        assertEquals(0, payload.remaining(), "no image root");
    }

    @Test
    void badRequestsAreRejectedBeforeTheyAreSent() {
        assertThrows(IllegalArgumentException.class, () -> ExecRequest.builder(List.of()));
        assertThrows(IllegalArgumentException.class, () -> ExecRequest.builder(List.of("")));
        assertThrows(IllegalArgumentException.class, () -> ExecRequest.builder(List.of("a\0b")));
        assertThrows(IllegalArgumentException.class, () -> ExecRequest.builder(List.of("x")).env("A=B", "1"));
        assertThrows(IllegalArgumentException.class, () -> ExecRequest.builder(List.of("x")).workdir("relative"));
        assertThrows(IllegalArgumentException.class, () -> ExecRequest.builder(List.of("x")).timeout(Duration.ZERO));
    }
}
