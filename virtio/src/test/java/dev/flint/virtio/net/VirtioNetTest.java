package dev.flint.virtio.net;

import dev.flint.virtio.VirtioDevice;
import dev.flint.virtio.mmio.PartialDeviceContext;
import dev.flint.virtio.queue.MockDriver;
import dev.flint.vmm.memory.GuestMemory;
import dev.flint.vmm.sys.EventFd;
import dev.flint.vmm.memory.MemoryRange;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.flint.virtio.queue.MockDriver.Part.read;
import static dev.flint.virtio.queue.MockDriver.Part.write;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The virtio-net queues over heap memory with the mock driver and a backend that records frames. */
class VirtioNetTest {
    private static final MacAddress MAC = MacAddress.parse("52:54:00:12:34:56");
    private static final int HEADER = VirtioNet.HEADER;

    private final GuestMemory memory = GuestMemory.onHeap(List.of(new MemoryRange(0, 4 << 20)));
    private final MockDriver rx = new MockDriver(memory, 16, 0);
    private final MockDriver tx = new MockDriver(memory, 16, 0x40000);
    private final AtomicInteger interrupts = new AtomicInteger();
    private final AtomicInteger broken = new AtomicInteger();
    private final RecordingBackend backend = new RecordingBackend();

    /** Keeps what the device sends and lets the test play the backend's side. */
    static class RecordingBackend implements NetBackend {
        final List<byte[]> sent = new ArrayList<>();
        FrameSink sink;
        boolean closed;

        @Override
        public void start(FrameSink toGuest) {
            sink = toGuest;
        }

        @Override
        public void send(byte[] frame, int offset, int length) {
            sent.add(Arrays.copyOfRange(frame, offset, offset + length));
        }

        @Override
        public BackendStats stats() {
            return new BackendStats(sent.size(), 0, 0, 0, 0);
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    private VirtioNet activated(long features, int backlog) {
        return activate(new VirtioNet(MAC, backend, backlog), features);
    }

    private VirtioNet activate(VirtioNet net, long features) {
        net.activate(List.of(rx.queue(false), tx.queue(false)), features, new VirtioDevice.DriverSignals() {
            @Override
            public void usedBuffers() {
                interrupts.incrementAndGet();
            }

            @Override
            public void deviceBroken() {
                broken.incrementAndGet();
            }
        });
        return net;
    }

    private static byte[] frame(int length, int seed) {
        byte[] f = new byte[length];
        for (int i = 0; i < length; i++) {
            f[i] = (byte) (seed + i);
        }
        return f;
    }

    private static byte[] withHeader(byte[] frame) {
        byte[] out = new byte[HEADER + frame.length];
        System.arraycopy(frame, 0, out, HEADER, frame.length);
        return out;
    }

    @Test
    void offersMacStatusMergeableBuffersAndVersion1AndShowsMacAndLinkUpInConfig() {
        VirtioNet net = new VirtioNet(MAC, backend);
        assertEquals(1, net.deviceId());
        assertEquals(2, net.queueCount());
        long features = net.features();
        assertTrue((features & (1L << 5)) != 0, "VIRTIO_NET_F_MAC");
        assertTrue((features & (1L << 16)) != 0, "VIRTIO_NET_F_STATUS");
        assertTrue((features & (1L << 15)) != 0, "VIRTIO_NET_F_MRG_RXBUF");
        assertTrue((features & VirtioDevice.F_VERSION_1) != 0);
        assertEquals(0, features & 1L, "no VIRTIO_NET_F_CSUM");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment config = arena.allocate(8);
            net.readConfig(0, config);
            assertArrayEquals(new byte[] {0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 1, 0}, config.toArray(JAVA_BYTE));
            MemorySegment status = arena.allocate(2);
            net.readConfig(6, status);
            assertArrayEquals(new byte[] {1, 0}, status.toArray(JAVA_BYTE), "VIRTIO_NET_S_LINK_UP");
        }
        net.close();
        assertTrue(backend.closed, "closing the device closes its backend");
    }

    @Test
    void txFramesReachTheBackendWithTheHeaderStripped() {
        VirtioNet net = activated(VirtioDevice.F_VERSION_1 | VirtioNet.F_MRG_RXBUF, 8);
        byte[] first = frame(60, 1);
        byte[] second = frame(1514, 7);
        byte[] secondWithHeader = withHeader(second);
        // The Linux driver puts the header in its own descriptor or in front of the data; both count.
        int a = tx.chain(read(new byte[HEADER]), read(first));
        int b = tx.chain(read(Arrays.copyOfRange(secondWithHeader, 0, 100)),
                read(Arrays.copyOfRange(secondWithHeader, 100, secondWithHeader.length)));
        tx.publish(a);
        tx.publish(b);
        net.queueNotify(VirtioNet.TX);

        assertEquals(2, backend.sent.size());
        assertArrayEquals(first, backend.sent.get(0));
        assertArrayEquals(second, backend.sent.get(1));
        assertEquals(List.of(new MockDriver.Used(a, 0), new MockDriver.Used(b, 0)), tx.used());
        assertEquals(1, interrupts.get());
        assertEquals(2, net.stats().txFrames());
    }

    @Test
    void aTxChainShorterThanTheHeaderIsDroppedAndCounted() {
        VirtioNet net = activated(VirtioDevice.F_VERSION_1, 8);
        tx.publish(tx.chain(read(new byte[5])));
        net.queueNotify(VirtioNet.TX);
        assertTrue(backend.sent.isEmpty());
        assertEquals(1, net.stats().txMalformed());
        assertEquals(1, tx.used().size(), "the chain still goes back to the driver");
        assertEquals(0, broken.get());
    }

    @Test
    void aTxChainOverTheLargestFrameIsDroppedUnreadAndCounted() {
        VirtioNet net = activated(VirtioDevice.F_VERSION_1, 8);
        // Sixteen descriptors all covering the whole 4 MiB of guest RAM: 64 MiB claimed by a tiny guest.
        long ram = 4 << 20;
        for (int i = 0; i < 16; i++) {
            tx.descriptor(tx.descAddress(), i, 0, (int) ram, i < 15 ? 1 : 0, i + 1);
        }
        tx.publish(0);
        net.queueNotify(VirtioNet.TX);
        assertTrue(backend.sent.isEmpty(), "nothing reached the backend");
        assertEquals(1, net.stats().txDroppedTooLarge());
        assertEquals(0, net.stats().txFrames());
        assertEquals(List.of(new MockDriver.Used(0, 0)), tx.used(), "the chain still goes back to the driver");
        assertEquals(0, broken.get());
    }

    @Test
    void aTxChainOfTheLargestFrameIsSentAndOneByteMoreIsNot() {
        VirtioNet net = activated(VirtioDevice.F_VERSION_1, 8);
        byte[] largest = frame(VirtioNet.MAX_FRAME, 3);
        tx.publish(tx.chain(read(withHeader(largest))));
        tx.publish(tx.chain(read(withHeader(frame(VirtioNet.MAX_FRAME + 1, 3)))));
        net.queueNotify(VirtioNet.TX);
        assertEquals(1, backend.sent.size());
        assertArrayEquals(largest, backend.sent.get(0));
        assertEquals(1, net.stats().txDroppedTooLarge());
    }

    @Test
    void rxFramesLandInGuestBuffersWithTheHeaderAndUsedLength() {
        VirtioNet net = activated(VirtioDevice.F_VERSION_1 | VirtioNet.F_MRG_RXBUF, 8);
        int head = rx.chain(write(2048));
        rx.publish(head);
        net.queueNotify(VirtioNet.RX);
        byte[] incoming = frame(342, 3);
        backend.sink.toGuest(incoming);
        net.pumpRx();

        List<MockDriver.Used> used = rx.used();
        assertEquals(List.of(new MockDriver.Used(head, HEADER + 342)), used);
        byte[] guest = rx.read(rx.bufferOf(head), HEADER + 342);
        byte[] expectedHeader = new byte[HEADER];
        expectedHeader[VirtioNet.HEADER_NUM_BUFFERS] = 1;
        assertArrayEquals(expectedHeader, Arrays.copyOf(guest, HEADER), "flags 0, GSO_NONE, num_buffers 1");
        assertArrayEquals(incoming, Arrays.copyOfRange(guest, HEADER, guest.length));
        assertEquals(1, interrupts.get());
        assertEquals(1, net.stats().rxFrames());
    }

    /** The device's context as far as the rx wakeup goes: a real eventfd, its signals counted by draining it. */
    private record SignalContext(EventFd wakeup) implements PartialDeviceContext {
        @Override
        public EventFd onSignal(Runnable handler) {
            return wakeup;
        }
    }

    @Test
    void aBurstOfBackendFramesWakesTheLoopOnceAndAFrameAfterThePumpWakesItAgain() throws Exception {
        try (EventFd wakeup = EventFd.create()) {
            VirtioNet net = activated(VirtioDevice.F_VERSION_1 | VirtioNet.F_MRG_RXBUF, 8);
            net.attached(new SignalContext(wakeup));
            for (int i = 0; i < 4; i++) {
                rx.publish(rx.chain(write(2048)));
            }
            net.queueNotify(VirtioNet.RX);
            for (int i = 0; i < 3; i++) {
                backend.sink.toGuest(frame(100, i));
            }
            assertEquals(1, wakeup.drain(), "three frames, one signal");
            net.pumpRx();
            assertEquals(3, net.stats().rxFrames());
            backend.sink.toGuest(frame(100, 9));
            assertEquals(1, wakeup.drain(), "the pump ran: the next frame signals");
            net.pumpRx();
            assertEquals(4, net.stats().rxFrames());
        }
    }

    @Test
    void aReplyTheBackendMakesWhileTheDeviceTransmitsIsPlacedAtOnceWithoutAWakeup() throws Exception {
        try (EventFd wakeup = EventFd.create()) {
            RecordingBackend echo = new RecordingBackend() {
                @Override
                public void send(byte[] frame, int offset, int length) {
                    super.send(frame, offset, length);
                    sink.toGuest(Arrays.copyOfRange(frame, offset, offset + length));   // as libslirp's ACK comes, inside its input
                }
            };
            VirtioNet net = new VirtioNet(MAC, echo, 8);
            activate(net, VirtioDevice.F_VERSION_1 | VirtioNet.F_MRG_RXBUF);
            net.attached(new SignalContext(wakeup));
            rx.publish(rx.chain(write(2048)));
            byte[] sent = frame(60, 5);
            tx.publish(tx.chain(read(withHeader(sent))));
            net.queueNotify(VirtioNet.TX);

            assertEquals(1, net.stats().rxFrames(), "the reply is in the guest's buffer when the notification returns");
            assertArrayEquals(sent, Arrays.copyOfRange(rx.read(rx.bufferOf(rx.used().get(0).head()), HEADER + 60), HEADER, HEADER + 60));
            assertEquals(0, wakeup.drain(), "no signal for the loop that was already there");
        }
    }

    @Test
    void withMergeableBuffersALargeFrameSpansSeveralChainsAndSaysHowMany() {
        VirtioNet net = activated(VirtioDevice.F_VERSION_1 | VirtioNet.F_MRG_RXBUF, 8);
        int a = rx.chain(write(1000));
        int b = rx.chain(write(1000));
        int c = rx.chain(write(1000));
        rx.publish(a);
        rx.publish(b);
        rx.publish(c);
        byte[] incoming = frame(1514, 9);
        backend.sink.toGuest(incoming);
        net.pumpRx();

        assertEquals(List.of(new MockDriver.Used(a, 1000), new MockDriver.Used(b, HEADER + 1514 - 1000)), rx.used());
        byte[] first = rx.read(rx.bufferOf(a), 1000);
        assertEquals(2, first[VirtioNet.HEADER_NUM_BUFFERS], "num_buffers");
        byte[] reassembled = new byte[1514];
        System.arraycopy(first, HEADER, reassembled, 0, 1000 - HEADER);
        System.arraycopy(rx.read(rx.bufferOf(b), 1514 - (1000 - HEADER)), 0, reassembled, 1000 - HEADER, 1514 - (1000 - HEADER));
        assertArrayEquals(incoming, reassembled);
    }

    @Test
    void withoutMergeableBuffersAFrameTooLargeForOneBufferIsDroppedAndTheBufferKeptForTheNext() {
        VirtioNet net = activated(VirtioDevice.F_VERSION_1, 8);
        int head = rx.chain(write(200));
        rx.publish(head);
        backend.sink.toGuest(frame(1514, 1));
        byte[] small = frame(100, 2);
        backend.sink.toGuest(small);
        net.pumpRx();

        assertEquals(List.of(new MockDriver.Used(head, HEADER + 100)), rx.used());
        assertArrayEquals(small, Arrays.copyOfRange(rx.read(rx.bufferOf(head), HEADER + 100), HEADER, HEADER + 100));
        assertEquals(1, net.stats().rxDroppedTooLarge());
        assertEquals(1, net.stats().rxFrames());
    }

    @Test
    void withoutRxBuffersFramesWaitAndAreDeliveredInOrderOnceTheGuestPostsSome() {
        VirtioNet net = activated(VirtioDevice.F_VERSION_1 | VirtioNet.F_MRG_RXBUF, 8);
        byte[] one = frame(64, 1);
        byte[] two = frame(80, 2);
        backend.sink.toGuest(one);
        backend.sink.toGuest(two);
        net.pumpRx();
        assertTrue(rx.used().isEmpty());
        assertEquals(0, interrupts.get());

        int a = rx.chain(write(1526));
        int b = rx.chain(write(1526));
        rx.publish(a);
        rx.publish(b);
        net.queueNotify(VirtioNet.RX);

        assertEquals(List.of(new MockDriver.Used(a, HEADER + 64), new MockDriver.Used(b, HEADER + 80)), rx.used());
        assertArrayEquals(one, Arrays.copyOfRange(rx.read(rx.bufferOf(a), HEADER + 64), HEADER, HEADER + 64));
        assertArrayEquals(two, Arrays.copyOfRange(rx.read(rx.bufferOf(b), HEADER + 80), HEADER, HEADER + 80));
        assertEquals(1, interrupts.get(), "one interrupt for the batch");
    }

    @Test
    void pastTheBacklogBoundFramesAreDroppedAndCounted() {
        VirtioNet net = activated(VirtioDevice.F_VERSION_1 | VirtioNet.F_MRG_RXBUF, 2);
        for (int i = 0; i < 5; i++) {
            backend.sink.toGuest(frame(60, i));
        }
        assertEquals(3, net.stats().rxDroppedFull());

        for (int i = 0; i < 4; i++) {
            rx.publish(rx.chain(write(1526)));
        }
        net.queueNotify(VirtioNet.RX);
        List<MockDriver.Used> used = rx.used();
        assertEquals(2, used.size(), "only the two frames the backlog held arrive");
        assertArrayEquals(frame(60, 0), Arrays.copyOfRange(rx.read(rx.bufferOf(used.get(0).head()), HEADER + 60), HEADER, HEADER + 60));
        assertArrayEquals(frame(60, 1), Arrays.copyOfRange(rx.read(rx.bufferOf(used.get(1).head()), HEADER + 60), HEADER, HEADER + 60));
    }

    @Test
    void framesBeforeTheDriverIsReadyOrAfterAResetAreDroppedNotQueued() {
        VirtioNet net = new VirtioNet(MAC, backend);
        backend.sink.toGuest(frame(60, 0));
        assertEquals(1, net.stats().rxDroppedNotReady());

        net = activated(VirtioDevice.F_VERSION_1, 8);
        backend.sink.toGuest(frame(60, 0));
        net.reset();
        backend.sink.toGuest(frame(60, 1));
        assertEquals(1, net.stats().rxDroppedNotReady());
        net.pumpRx();
        assertTrue(rx.used().isEmpty(), "the reset emptied the backlog");
    }

    @Test
    void anRxChainWithNoWritableBufferBreaksTheDevice() {
        VirtioNet net = activated(VirtioDevice.F_VERSION_1, 8);
        rx.publish(rx.chain(read(new byte[16])));
        backend.sink.toGuest(frame(60, 0));
        net.pumpRx();
        assertEquals(1, broken.get());
    }
}
