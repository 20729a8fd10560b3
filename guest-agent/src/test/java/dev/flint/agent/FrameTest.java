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
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
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

    private static byte[] entry(int type, int mode, long size, long seconds, int nanos, String name, int nameLength,
                                String target) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        byte[] t = target.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(FileEntry.FIXED + n.length + t.length).put((byte) type).putInt(mode).putLong(size)
                .putLong(seconds).putInt(nanos).putInt(nameLength).put(n).putInt(t.length).put(t).array();
    }

    @Test
    void aFileEntryDecodesEveryField() throws Exception {
        FileEntry link = FileEntry.decode(entry(2, 0777, 5, 1_700_000_000L, 7, "link", 4, "a.txt"));
        assertEquals(new FileEntry("link", FileEntry.Type.SYMLINK, 0777, 5,
                java.time.Instant.ofEpochSecond(1_700_000_000L, 7), "a.txt"), link);
        assertEquals("/", FileEntry.decode(entry(1, 0755, 0, 0, 0, "/", 1, "")).name());
    }

    @Test
    void aFileEntryWithHostileFieldsIsAViolation() {
        List<byte[]> hostile = List.of(
                new byte[FileEntry.FIXED - 1],
                entry(4, 0644, 0, 0, 0, "a", 1, ""),                           // no such type
                entry(0, 0100644, 0, 0, 0, "a", 1, ""),                        // mode beyond 07777
                entry(0, 0644, -1, 0, 0, "a", 1, ""),                          // size over 2^63
                entry(0, 0644, 0, 0, 1_000_000_000, "a", 1, ""),               // nanoseconds
                entry(0, 0644, 0, Long.MAX_VALUE, 0, "a", 1, ""),              // not an Instant
                entry(0, 0644, 0, 0, 0, "a", 2, ""),                           // name runs into the target's length
                entry(0, 0644, 0, 0, 0, "a", -1, ""),                          // a name of 4 GiB
                entry(0, 0644, 0, 0, 0, "x".repeat(256), 256, ""),             // over NAME_MAX
                entry(0, 0644, 0, 0, 0, "a/b", 3, ""),                         // not a file name
                entry(0, 0644, 0, 0, 0, "", 0, ""),
                entry(2, 0644, 0, 0, 0, "a", 1, "t".repeat(4096)),             // target over PATH_MAX
                java.util.Arrays.copyOf(entry(0, 0644, 0, 0, 0, "a", 1, ""), FileEntry.FIXED + 2)); // bytes after
        for (byte[] payload : hostile) {
            assertThrows(ProtocolViolationException.class, () -> FileEntry.decode(payload));
        }
    }

    private static byte[] fileError(int errno, String name, String path, String message) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        byte[] p = path.getBytes(StandardCharsets.UTF_8);
        byte[] m = message.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(12 + n.length + p.length + m.length).putInt(errno).putInt(n.length).put(n)
                .putInt(p.length).put(p).put(m).array();
    }

    @Test
    void fileErrorsBecomeTheExceptionForTheirErrno() throws Exception {
        IOException missing = FileErrors.decode(fileError(2, "ENOENT", "/x", "open /x: No such file or directory"));
        assertInstanceOf(java.nio.file.NoSuchFileException.class, missing);
        assertEquals("/x", ((java.nio.file.NoSuchFileException) missing).getFile());
        assertInstanceOf(java.nio.file.AccessDeniedException.class, FileErrors.decode(fileError(13, "EACCES", "/x", "m")));
        assertInstanceOf(java.nio.file.AccessDeniedException.class, FileErrors.decode(fileError(1, "EPERM", "/x", "m")));
        assertInstanceOf(java.nio.file.FileAlreadyExistsException.class, FileErrors.decode(fileError(17, "EEXIST", "/x", "m")));
        GuestFileException full = (GuestFileException) FileErrors.decode(fileError(28, "ENOSPC", "/x",
                "write /x: No space left on device"));
        assertEquals(28, full.errno());
        assertEquals("write /x: No space left on device (ENOSPC)", full.getMessage());
        assertEquals("the agent said errno 21 (EISDIR)", FileErrors.decode(fileError(21, "EISDIR", "/x", "")).getMessage());
    }

    @Test
    void aFileErrorWithHostileLengthsIsAViolation() {
        byte[] good = fileError(2, "ENOENT", "/x", "m");
        byte[] longName = good.clone();
        ByteBuffer.wrap(longName).putInt(4, 1000);
        byte[] negativePath = good.clone();
        ByteBuffer.wrap(negativePath).putInt(14, -1);
        for (byte[] payload : List.of(new byte[11], longName, negativePath)) {
            assertThrows(ProtocolViolationException.class, () -> FileErrors.decode(payload));
        }
    }

    @Test
    void fileFramesFromTheAgentAreCheckedForTheirLengths() throws Exception {
        new Frame(Frame.FILE_ACK, 1, new byte[4]).checkFromAgent();
        new Frame(Frame.FILE_DONE, 1, new byte[0]).checkFromAgent();
        new Frame(Frame.FILE_DATA, 1, new byte[FileCall.CHUNK]).checkFromAgent();
        for (Frame bad : List.of(new Frame(Frame.FILE_ACK, 1, new byte[5]), new Frame(Frame.FILE_DONE, 1, new byte[1]),
                new Frame(Frame.FILE_DATA, 1, new byte[0]), new Frame(Frame.FILE_DATA, 1, new byte[FileCall.CHUNK + 1]),
                new Frame(Frame.FILE_ENTRY, 1, new byte[FileEntry.FIXED - 1]), new Frame(Frame.FILE_ERROR, 1, new byte[11]),
                new Frame(Frame.FILE_STAT, 1, new byte[0]))) {
            assertThrows(ProtocolViolationException.class, bad::checkFromAgent, Frame.name(bad.type()));
        }
    }

    @Test
    void fileRequestsEncodeRootNumberAndPath() {
        ByteBuffer plain = ByteBuffer.wrap(GuestFiles.encode(java.util.Optional.empty(), "/a", 0755));
        assertEquals(0, plain.getInt());
        assertEquals(0, plain.getInt());
        assertEquals(0755, plain.getInt());
        assertEquals(2, plain.getInt());
        assertEquals('/', plain.get());
        assertEquals('a', plain.get());
        assertFalse(plain.hasRemaining());
        ByteBuffer image = ByteBuffer.wrap(GuestFiles.encode(java.util.Optional.of(new ExecRequest.ImageRoot("/l", "/u")), "/", null));
        assertEquals(2, image.getInt());
        image.position(image.position() + 2);
        assertEquals(2, image.getInt());
        image.position(image.position() + 2);
        assertEquals(1, image.getInt());
        assertThrows(IllegalArgumentException.class, () -> GuestFiles.encode(java.util.Optional.empty(), "a", null));
        assertThrows(IllegalArgumentException.class, () -> GuestFiles.encode(java.util.Optional.empty(), "/\0", null));
        assertThrows(IllegalArgumentException.class, () -> GuestFiles.encode(java.util.Optional.empty(),
                "/" + "é".repeat(2048), null), "4097 bytes of UTF-8, though fewer chars");
        assertThrows(IllegalArgumentException.class, () -> GuestFiles.checkMode(-1));
        assertThrows(IllegalArgumentException.class, () -> GuestFiles.checkMode(010000));
    }
}
