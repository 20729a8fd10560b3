package dev.flint.virtio.vsock;

import dev.flint.virtio.VirtioDevice;
import dev.flint.virtio.queue.MockDriver;
import dev.flint.vmm.memory.GuestMemory;
import dev.flint.vmm.memory.MemoryRange;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.flint.virtio.queue.MockDriver.Part.read;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the guest's tx chains may cost the host: bounded before anything is read. */
class VirtioVsockLimitsTest {
    private static final long CID = 3;
    private static final int QUEUE_SIZE = 64;
    private static final long RAM = 32 << 20;

    private final GuestMemory memory = GuestMemory.onHeap(List.of(new MemoryRange(0, RAM)));
    private final MockDriver rx = new MockDriver(memory, QUEUE_SIZE, 0);
    private final MockDriver tx = new MockDriver(memory, QUEUE_SIZE, 0x40000);
    private final MockDriver events = new MockDriver(memory, QUEUE_SIZE, 0x80000);
    private final VirtioVsock vsock = new VirtioVsock(CID);
    private final AtomicInteger broken = new AtomicInteger();

    @BeforeEach
    void activate() {
        vsock.activate(List.of(rx.queue(false), tx.queue(false), events.queue(false)), VirtioDevice.F_VERSION_1,
                new VirtioDevice.DriverSignals() {
                    @Override
                    public void usedBuffers() {
                    }

                    @Override
                    public void deviceBroken() {
                        broken.incrementAndGet();
                    }
                });
    }

    private static byte[] packet(int op, int srcPort, int dstPort, int len, int payloadBytes) {
        VsockHeader header = new VsockHeader(CID, VsockMuxer.HOST_CID, srcPort, dstPort, len, VsockHeader.TYPE_STREAM,
                op, 0, 256 * 1024, 0);
        return Arrays.copyOf(header.encode(), VsockHeader.SIZE + payloadBytes);
    }

    private void send(byte[] bytes) {
        tx.publish(tx.chain(read(bytes)));
        vsock.queueNotify(VirtioVsock.TX);
    }

    @Test
    void aChainClaimingTwoGibibytesThroughAliasedDescriptorsIsDroppedUnreadAndCounted() {
        // Every descriptor covers all 32 MiB of guest RAM (a valid header sits in front): 2 GiB - 1 claimed,
        // the most a byte[] could hold before the cap.
        memory.write(0, packet(VsockHeader.OP_REQUEST, 49152, 7777, 0, 0));
        for (int i = 0; i < QUEUE_SIZE; i++) {
            long length = i < QUEUE_SIZE - 1 ? RAM : RAM - 1;
            tx.descriptor(tx.descAddress(), i, 0, (int) length, i < QUEUE_SIZE - 1 ? 1 : 0, i + 1);
        }
        tx.publish(0);
        vsock.queueNotify(VirtioVsock.TX);

        VirtioVsockStats stats = vsock.stats();
        assertEquals(1, stats.txDroppedTooLarge());
        assertEquals(0, stats.packetsDropped(), "the muxer never saw it");
        assertEquals(0, stats.bytesFromGuest());
        assertEquals(null, vsock.muxer().nextForGuest(4096), "no reset owed: nothing reached the muxer");
        assertEquals(List.of(new MockDriver.Used(0, 0)), tx.used(), "the chain still goes back to the driver");
        assertEquals(0, broken.get(), "the device goes on");
    }

    @Test
    void aPacketOfTheLargestPayloadIsDeliveredAndOneByteMoreIsNot() throws Exception {
        CompletableFuture<VsockStream> accepted = new CompletableFuture<>();
        vsock.muxer().listen(5000, accepted::complete);
        send(packet(VsockHeader.OP_REQUEST, 49152, 5000, 0, 0));
        VsockStream stream = accepted.get(5, TimeUnit.SECONDS);

        send(packet(VsockHeader.OP_RW, 49152, 5000, VirtioVsock.MAX_PAYLOAD, VirtioVsock.MAX_PAYLOAD));
        send(packet(VsockHeader.OP_RW, 49152, 5000, VirtioVsock.MAX_PAYLOAD + 1, VirtioVsock.MAX_PAYLOAD + 1));
        ByteBuffer in = ByteBuffer.allocate(2 * VirtioVsock.MAX_PAYLOAD);
        while (in.position() < VirtioVsock.MAX_PAYLOAD) {
            stream.read(in);
        }
        assertEquals(VirtioVsock.MAX_PAYLOAD, in.position());
        assertEquals(VirtioVsock.MAX_PAYLOAD, vsock.stats().bytesFromGuest());
        assertEquals(1, vsock.stats().txDroppedTooLarge());
        assertEquals(1, vsock.stats().openConnections(), "the connection survives the dropped packet");
    }

    @Test
    void packetsShorterThanTheirHeaderOrTheirLenAreCountedMalformed() {
        send(new byte[VsockHeader.SIZE - 1]);
        send(packet(VsockHeader.OP_RW, 49152, 5000, 10, 9));
        assertEquals(2, vsock.stats().txMalformed());
        assertEquals(0, vsock.stats().packetsDropped());
        assertEquals(0, broken.get());
    }
}
