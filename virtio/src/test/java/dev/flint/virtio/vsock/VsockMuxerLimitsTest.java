package dev.flint.virtio.vsock;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a guest that floods the host, or never reads, may make the muxer hold. */
class VsockMuxerLimitsTest {
    private static final int LISTENER = 5000;
    private static final int FLOOD = 10_000;

    private final VsockMuxer muxer = new VsockMuxer(ScriptedGuest.CID, 4096, () -> { });
    private final ScriptedGuest guest = new ScriptedGuest(muxer);

    /** Every packet owed to the guest now, as if it posted rx buffers at last. */
    private List<VsockMuxer.Packet> drain() {
        List<VsockMuxer.Packet> packets = new ArrayList<>();
        for (VsockMuxer.Packet p = muxer.nextForGuest(4096); p != null; p = muxer.nextForGuest(4096)) {
            packets.add(p);
        }
        return packets;
    }

    private static long count(List<VsockMuxer.Packet> packets, int op) {
        return packets.stream().filter(p -> p.header().op() == op).count();
    }

    @Test
    void aFloodOfBogusPacketsWithoutRxBuffersKeepsTheResetsAtTheirBound() {
        for (int i = 0; i < FLOOD; i++) {
            guest.sends(VsockHeader.OP_RW, 10_000 + i, 7777, new byte[0]);
        }
        assertEquals(FLOOD, muxer.droppedPackets());
        assertEquals(FLOOD - VsockMuxer.MAX_UNSOLICITED, muxer.droppedControl());
        List<VsockMuxer.Packet> owed = drain();
        assertEquals(VsockMuxer.MAX_UNSOLICITED, owed.size());
        assertEquals(VsockMuxer.MAX_UNSOLICITED, count(owed, VsockHeader.OP_RST));
    }

    @Test
    void aFloodOfResetsLeavesRoomForTheRepliesOfRealConnections() throws Exception {
        CompletableFuture<VsockStream> accepted = new CompletableFuture<>();
        muxer.listen(LISTENER, accepted::complete);
        for (int i = 0; i < FLOOD; i++) {
            guest.sends(VsockHeader.OP_REQUEST, 10_000 + i, 7777, new byte[0]);
        }
        guest.sends(VsockHeader.OP_REQUEST, 40000, LISTENER, new byte[0]);
        List<VsockMuxer.Packet> owed = drain();
        assertEquals(1, count(owed, VsockHeader.OP_RESPONSE), "the real connection is answered");
        assertEquals(40000, accepted.get(5, TimeUnit.SECONDS).guestPort());
    }

    @Test
    void repeatedResetsAndCreditRequestsCoalesce() {
        muxer.listen(LISTENER, stream -> { });
        guest.sends(VsockHeader.OP_REQUEST, 40000, LISTENER, new byte[0]);
        for (int i = 0; i < FLOOD; i++) {
            guest.sends(VsockHeader.OP_CREDIT_REQUEST, 40000, LISTENER, new byte[0]);
            guest.sends(VsockHeader.OP_RW, 40001, 7777, new byte[0]);
        }
        List<VsockMuxer.Packet> owed = drain();
        assertEquals(List.of(VsockHeader.OP_RESPONSE, VsockHeader.OP_CREDIT_UPDATE, VsockHeader.OP_RST),
                owed.stream().map(p -> p.header().op()).toList());
        assertEquals(0, muxer.droppedControl(), "coalesced, not dropped");
    }

    @Test
    void connectionsCyclingFasterThanTheGuestReadsKeepTheControlQueueAtItsBound() {
        muxer.listen(LISTENER, stream -> { });
        for (int i = 0; i < FLOOD; i++) {
            guest.sends(VsockHeader.OP_REQUEST, 40000 + i, LISTENER, new byte[0]);
            guest.sends(VsockHeader.OP_RST, 40000 + i, LISTENER, new byte[0]);
        }
        assertEquals(0, muxer.openConnections());
        assertEquals(FLOOD - VsockMuxer.MAX_CONTROL, muxer.droppedControl());
        assertEquals(VsockMuxer.MAX_CONTROL, drain().size());
    }

    @Test
    void theGuestsConnectionOverTheMaximumIsReset() {
        muxer.listen(LISTENER, stream -> { });
        for (int i = 0; i < VsockMuxer.MAX_CONNECTIONS; i++) {
            guest.sends(VsockHeader.OP_REQUEST, 40000 + i, LISTENER, new byte[0]);
        }
        assertEquals(VsockMuxer.MAX_CONNECTIONS, count(drain(), VsockHeader.OP_RESPONSE));

        guest.sends(VsockHeader.OP_REQUEST, 50000, LISTENER, new byte[0]);
        List<VsockMuxer.Packet> refused = drain();
        assertEquals(1, refused.size());
        assertEquals(VsockHeader.OP_RST, refused.get(0).header().op());
        assertEquals(50000, refused.get(0).header().dstPort());
        assertEquals(VsockMuxer.MAX_CONNECTIONS, muxer.openConnections());
        assertEquals(1, muxer.refusedConnections());

        guest.sends(VsockHeader.OP_RST, 40000, LISTENER, new byte[0]);
        guest.sends(VsockHeader.OP_REQUEST, 50000, LISTENER, new byte[0]);
        assertEquals(VsockHeader.OP_RESPONSE, drain().get(0).header().op(), "a freed slot is taken again");
    }

    @Test
    void aHostConnectOverTheMaximumFailsSayingWhy() {
        muxer.listen(LISTENER, stream -> { });
        for (int i = 0; i < VsockMuxer.MAX_CONNECTIONS; i++) {
            guest.sends(VsockHeader.OP_REQUEST, 40000 + i, LISTENER, new byte[0]);
        }
        drain();
        var e = assertThrows(IOException.class, () -> muxer.connect(1024, Duration.ofSeconds(5)));
        assertTrue(e.getMessage().contains(VsockMuxer.MAX_CONNECTIONS + " vsock connections are already open"),
                e.getMessage());
        assertEquals(1, muxer.refusedConnections());
        assertEquals(0, drain().size(), "no request went to the guest");
    }
}
