package dev.flint.virtio.vsock;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The vsock state machine against a scripted guest: every packet checked field by field. */
class VsockMuxerTest {
    private static final long GUEST = 3;
    private static final int AGENT_PORT = 1024;

    private final AtomicInteger guestWork = new AtomicInteger();
    private final VsockMuxer muxer = new VsockMuxer(GUEST, 64, guestWork::incrementAndGet);
    private final ScriptedGuest guest = new ScriptedGuest(muxer);

    private static VsockHeader fromGuest(int op, int guestPort, int hostPort, int len, int flags, int bufAlloc, int fwdCnt) {
        return new VsockHeader(GUEST, VsockMuxer.HOST_CID, guestPort, hostPort, len, VsockHeader.TYPE_STREAM, op, flags,
                bufAlloc, fwdCnt);
    }

    private List<VsockMuxer.Packet> drain() {
        List<VsockMuxer.Packet> packets = new ArrayList<>();
        VsockMuxer.Packet p;
        while ((p = muxer.nextForGuest(4096)) != null) {
            packets.add(p);
        }
        return packets;
    }

    /** Connects from the host and answers as the guest; returns the established stream. */
    private VsockStream connected() throws Exception {
        CompletableFuture<VsockStream> stream = CompletableFuture.supplyAsync(() -> {
            try {
                return muxer.connect(AGENT_PORT, Duration.ofSeconds(5));
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        VsockMuxer.Packet request = guest.awaitPacket();
        assertEquals(VsockHeader.OP_REQUEST, request.header().op());
        assertEquals(VsockMuxer.HOST_CID, request.header().srcCid());
        assertEquals(GUEST, request.header().dstCid());
        assertEquals(AGENT_PORT, request.header().dstPort());
        assertTrue(request.header().srcPort() >= VsockMuxer.FIRST_EPHEMERAL_PORT);
        muxer.onGuestPacket(fromGuest(VsockHeader.OP_RESPONSE, AGENT_PORT, request.header().srcPort(), 0, 0, 32, 0), new byte[0]);
        return stream.get(5, TimeUnit.SECONDS);
    }

    @Test
    void aPacketWakesOnlyTheStreamItIsFor() throws Exception {
        VsockStream a = connected();
        VsockStream b = connected();
        CompletableFuture<String> readOnB = new CompletableFuture<>();
        Thread reader = Thread.ofPlatform().start(() -> {
            try {
                ByteBuffer in = ByteBuffer.allocate(16);
                int n = b.read(in);
                readOnB.complete(new String(in.array(), 0, n, StandardCharsets.US_ASCII));
            } catch (IOException e) {
                readOnB.completeExceptionally(e);
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (reader.getState() != Thread.State.WAITING) {
            assertTrue(System.nanoTime() < deadline, "B's reader never blocked: " + reader.getState());
            Thread.sleep(1);
        }
        long wakeupsOfA = a.connection().wakeups;
        long wakeupsOfB = b.connection().wakeups;

        muxer.onGuestPacket(fromGuest(VsockHeader.OP_RW, AGENT_PORT, a.hostPort(), 5, 0, 32, 0), "for a".getBytes());
        assertEquals(wakeupsOfA + 1, a.connection().wakeups, "A's waiters were told");
        assertEquals(wakeupsOfB, b.connection().wakeups, "B's reader slept on through A's data");
        assertTrue(!readOnB.isDone());

        muxer.onGuestPacket(fromGuest(VsockHeader.OP_RW, AGENT_PORT, b.hostPort(), 5, 0, 32, 0), "for b".getBytes());
        assertEquals("for b", readOnB.get(5, TimeUnit.SECONDS));
        ByteBuffer onA = ByteBuffer.allocate(16);
        assertEquals(5, a.read(onA));
        assertEquals("for a", new String(onA.array(), 0, 5, StandardCharsets.US_ASCII));
    }

    @Test
    void hostConnectsAndBytesFlowBothWays() throws Exception {
        VsockStream stream = connected();
        stream.write(ByteBuffer.wrap("hello".getBytes(StandardCharsets.US_ASCII)));
        List<VsockMuxer.Packet> out = drain();
        assertEquals(1, out.size());
        assertEquals(VsockHeader.OP_RW, out.get(0).header().op());
        assertEquals(5, out.get(0).header().len());
        assertEquals("hello", new String(out.get(0).payload(), StandardCharsets.US_ASCII));
        assertEquals(64, out.get(0).header().bufAlloc(), "our buffer advertised as buf_alloc");

        muxer.onGuestPacket(fromGuest(VsockHeader.OP_RW, AGENT_PORT, stream.hostPort(), 5, 0, 32, 5), "world".getBytes());
        ByteBuffer in = ByteBuffer.allocate(16);
        assertEquals(5, stream.read(in));
        assertEquals("world", new String(in.array(), 0, 5, StandardCharsets.US_ASCII));
        assertTrue(guestWork.get() > 0, "the device thread was told about packets");
    }

    @Test
    void connectToAPortNobodyListensOnIsRefused() throws Exception {
        CompletableFuture<Exception> failure = CompletableFuture.supplyAsync(() -> {
            try {
                muxer.connect(9, Duration.ofSeconds(5));
                return null;
            } catch (Exception e) {
                return e;
            }
        });
        VsockMuxer.Packet request = guest.awaitPacket();
        muxer.onGuestPacket(fromGuest(VsockHeader.OP_RST, 9, request.header().srcPort(), 0, 0, 0, 0), new byte[0]);
        Exception e = failure.get(5, TimeUnit.SECONDS);
        assertTrue(e instanceof ConnectException, String.valueOf(e));
        assertTrue(e.getMessage().contains("nothing listens on that port"), e.getMessage());
        assertEquals(0, muxer.openConnections());
    }

    @Test
    void connectTimesOutWhenTheGuestIsSilent() {
        var e = assertThrows(IOException.class, () -> muxer.connect(AGENT_PORT, Duration.ofMillis(50)));
        assertTrue(e.getMessage().contains("timed out"), e.getMessage());
        assertEquals(0, muxer.openConnections());
    }

    @Test
    void guestConnectionsReachTheListenerOrGetReset() throws Exception {
        CompletableFuture<VsockStream> accepted = new CompletableFuture<>();
        muxer.listen(5000, accepted::complete);
        muxer.onGuestPacket(fromGuest(VsockHeader.OP_REQUEST, 40000, 5000, 0, 0, 32, 0), new byte[0]);
        VsockMuxer.Packet response = drain().get(0);
        assertEquals(VsockHeader.OP_RESPONSE, response.header().op());
        assertEquals(5000, response.header().srcPort());
        assertEquals(40000, response.header().dstPort());
        assertEquals(40000, accepted.get(5, TimeUnit.SECONDS).guestPort());

        muxer.onGuestPacket(fromGuest(VsockHeader.OP_REQUEST, 40001, 5001, 0, 0, 32, 0), new byte[0]);
        assertEquals(VsockHeader.OP_RST, drain().get(0).header().op());
        assertThrows(IllegalStateException.class, () -> muxer.listen(5000, s -> { }));
    }

    @Test
    void hostDataWaitsForTheGuestsCreditAndAsksForMore() throws Exception {
        VsockStream stream = connected();
        stream.write(ByteBuffer.wrap(new byte[50]));
        List<VsockMuxer.Packet> first = drain();
        assertEquals(32, first.get(0).payload().length, "the guest advertised 32 bytes");
        assertEquals(VsockHeader.OP_CREDIT_REQUEST, first.get(1).header().op());
        assertEquals(2, first.size());

        muxer.onGuestPacket(fromGuest(VsockHeader.OP_CREDIT_UPDATE, AGENT_PORT, stream.hostPort(), 0, 0, 32, 32), new byte[0]);
        List<VsockMuxer.Packet> second = drain();
        assertEquals(18, second.get(0).payload().length);
    }

    @Test
    void readingFreesCreditAndTellsTheGuest() throws Exception {
        VsockStream stream = connected();
        muxer.onGuestPacket(fromGuest(VsockHeader.OP_RW, AGENT_PORT, stream.hostPort(), 20, 0, 32, 0), new byte[20]);
        stream.read(ByteBuffer.allocate(20));
        VsockMuxer.Packet update = drain().get(0);
        assertEquals(VsockHeader.OP_CREDIT_UPDATE, update.header().op());
        assertEquals(20, update.header().fwdCnt());
    }

    @Test
    void dataBeyondOurCreditResetsTheConnection() throws Exception {
        VsockStream stream = connected();
        muxer.onGuestPacket(fromGuest(VsockHeader.OP_RW, AGENT_PORT, stream.hostPort(), 65, 0, 32, 0), new byte[65]);
        assertEquals(VsockHeader.OP_RST, drain().get(0).header().op());
        assertEquals(-1, stream.read(ByteBuffer.allocate(4)));
        assertEquals(1, muxer.droppedPackets());
    }

    @Test
    void guestShutdownEndsHostReadsAndIsAnsweredWithReset() throws Exception {
        VsockStream stream = connected();
        muxer.onGuestPacket(fromGuest(VsockHeader.OP_RW, AGENT_PORT, stream.hostPort(), 3, 0, 32, 0), "bye".getBytes());
        muxer.onGuestPacket(fromGuest(VsockHeader.OP_SHUTDOWN, AGENT_PORT, stream.hostPort(), 0,
                VsockHeader.SHUTDOWN_SEND | VsockHeader.SHUTDOWN_RECEIVE, 32, 0), new byte[0]);
        assertEquals(VsockHeader.OP_RST, drain().get(0).header().op());
        ByteBuffer in = ByteBuffer.allocate(8);
        assertEquals(3, stream.read(in), "bytes sent before the shutdown are still delivered");
        assertEquals(-1, stream.read(in), "then end of stream");
    }

    @Test
    void hostShutdownOutputSendsShutdownAfterTheData() throws Exception {
        VsockStream stream = connected();
        stream.write(ByteBuffer.wrap("tail".getBytes()));
        stream.shutdownOutput();
        List<VsockMuxer.Packet> out = drain();
        assertEquals(VsockHeader.OP_RW, out.get(0).header().op());
        assertEquals(VsockHeader.OP_SHUTDOWN, out.get(1).header().op());
        assertEquals(VsockHeader.SHUTDOWN_SEND, out.get(1).header().flags());
    }

    @Test
    void packetsForOtherCidsOrUnknownConnectionsAreDroppedWithReset() {
        muxer.onGuestPacket(new VsockHeader(7, VsockMuxer.HOST_CID, 1, 2, 0, 1, VsockHeader.OP_RW, 0, 0, 0), new byte[0]);
        muxer.onGuestPacket(fromGuest(VsockHeader.OP_RW, 3, 4, 0, 0, 0, 0), new byte[0]);
        assertEquals(2, muxer.droppedPackets());
        assertEquals(2, drain().stream().filter(p -> p.header().op() == VsockHeader.OP_RST).count());
    }

    @Test
    void headerRoundTripsThroughItsWireFormat() {
        VsockHeader header = new VsockHeader(2, 3, 1 << 30, 1024, 5, 1, VsockHeader.OP_RW, 0, 262144, 77);
        byte[] bytes = header.encode();
        assertEquals(44, bytes.length);
        assertEquals(5, bytes[24], "len at offset 24, little-endian");
        assertEquals(VsockHeader.OP_RW, bytes[30]);
        assertEquals(header, VsockHeader.decode(ByteBuffer.wrap(bytes)));
        assertThrows(IllegalArgumentException.class, () -> VsockHeader.decode(ByteBuffer.allocate(43)));
        assertThrows(IllegalArgumentException.class, () -> new VsockMuxer(2, 64, () -> { }));
    }
}
