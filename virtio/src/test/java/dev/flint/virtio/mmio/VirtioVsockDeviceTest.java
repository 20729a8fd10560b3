package dev.flint.virtio.mmio;

import dev.flint.virtio.VirtioDevice;
import dev.flint.virtio.queue.MockDriver;
import dev.flint.virtio.vsock.VirtioVsock;
import dev.flint.virtio.vsock.VsockHeader;
import dev.flint.virtio.vsock.VsockMuxer;
import dev.flint.virtio.vsock.VsockStream;
import dev.flint.vmm.devices.DeviceContext;
import dev.flint.vmm.sys.EventFd;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.flint.virtio.queue.MockDriver.Part.read;
import static dev.flint.virtio.queue.MockDriver.Part.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The vsock device behind its MMIO transport, driven like Linux drives it, over heap memory. */
class VirtioVsockDeviceTest {
    private static final long CID = 3;
    private static final int RX_BUFFER = 4096;

    private final LinuxLikeDriver driver = new LinuxLikeDriver();
    private final VirtioVsock vsock = new VirtioVsock(CID);
    private final AtomicInteger interrupts = new AtomicInteger();
    private VirtioMmioTransport transport;
    private MockDriver rx;
    private MockDriver tx;
    private MockDriver events;

    @BeforeEach
    void probe() {
        transport = new VirtioMmioTransport(vsock, driver.memory, interrupts::incrementAndGet, vsock::queueNotify);
        driver.attach(transport);
        assertEquals(0x74726976, driver.read(VirtioMmioTransport.MAGIC));
        assertEquals(2, driver.read(VirtioMmioTransport.VERSION), "driver sees nothing before probe otherwise");
    }

    private void activate() {
        int status = driver.probe(transport, VirtioDevice.F_VERSION_1, 3);
        assertEquals(0xf, status, "ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK");
        rx = driver.queues.get(0);
        tx = driver.queues.get(1);
        events = driver.queues.get(2);
        for (int i = 0; i < 8; i++) {
            rx.publish(rx.chain(write(RX_BUFFER)));
        }
        driver.write(VirtioMmioTransport.QUEUE_NOTIFY, 0);
    }

    private static byte[] packet(int op, int srcPort, int dstPort, byte[] payload, int flags) {
        VsockHeader header = new VsockHeader(CID, VsockMuxer.HOST_CID, srcPort, dstPort, payload.length,
                VsockHeader.TYPE_STREAM, op, flags, 65536, 0);
        byte[] bytes = Arrays.copyOf(header.encode(), VsockHeader.SIZE + payload.length);
        System.arraycopy(payload, 0, bytes, VsockHeader.SIZE, payload.length);
        return bytes;
    }

    private void guestSends(byte[] packet) {
        tx.publish(tx.chain(read(Arrays.copyOf(packet, VsockHeader.SIZE)),
                read(Arrays.copyOfRange(packet, VsockHeader.SIZE, packet.length))));
        driver.write(VirtioMmioTransport.QUEUE_NOTIFY, 1);
    }

    private record Received(VsockHeader header, byte[] payload) {
    }

    private Received guestReceives() {
        List<MockDriver.Used> used = rx.used();
        assertEquals(1, used.size(), "one rx buffer used");
        byte[] bytes = rx.read(rx.bufferOf(used.get(0).head()), used.get(0).length());
        VsockHeader header = VsockHeader.decode(ByteBuffer.wrap(bytes));
        rx.publish(rx.chain(write(RX_BUFFER)));
        return new Received(header, Arrays.copyOfRange(bytes, VsockHeader.SIZE, bytes.length));
    }

    @Test
    void configSpaceHoldsTheGuestCid() {
        assertEquals(19, driver.read(VirtioMmioTransport.DEVICE_ID));
        assertEquals((int) CID, driver.read(VirtioMmioTransport.CONFIG));
        assertEquals(0, driver.read(VirtioMmioTransport.CONFIG + 4));
    }

    @Test
    void featuresTheDeviceDidNotOfferAreRefused() {
        int status = driver.probe(transport, VirtioDevice.F_VERSION_1 | VirtioDevice.F_RING_INDIRECT_DESC, 3);
        assertEquals(0, status & 8, "FEATURES_OK stays clear");
        assertEquals(0, driver.probe(transport, 0, 3) & 8, "a legacy driver (no VERSION_1) is refused");
    }

    @Test
    void guestConnectsToAHostListenerAndDataFlowsBothWays() throws Exception {
        activate();
        CompletableFuture<VsockStream> accepted = new CompletableFuture<>();
        vsock.muxer().listen(5000, accepted::complete);

        guestSends(packet(VsockHeader.OP_REQUEST, 49152, 5000, new byte[0], 0));
        Received response = guestReceives();
        assertEquals(VsockHeader.OP_RESPONSE, response.header().op());
        assertEquals(CID, response.header().dstCid());
        assertEquals(List.of(new MockDriver.Used(0, 0)), tx.used().subList(0, 1), "tx chain returned to the driver");
        assertTrue(interrupts.get() > 0);
        assertEquals(1, driver.read(VirtioMmioTransport.INTERRUPT_STATUS) & 1);
        driver.write(VirtioMmioTransport.INTERRUPT_ACK, 1);
        assertEquals(0, driver.read(VirtioMmioTransport.INTERRUPT_STATUS));

        VsockStream stream = accepted.get(5, TimeUnit.SECONDS);
        guestSends(packet(VsockHeader.OP_RW, 49152, 5000, "ping".getBytes(StandardCharsets.US_ASCII), 0));
        ByteBuffer in = ByteBuffer.allocate(16);
        assertEquals(4, stream.read(in));
        assertArrayEquals("ping".getBytes(StandardCharsets.US_ASCII), Arrays.copyOf(in.array(), 4));

        stream.write(ByteBuffer.wrap("pong".getBytes(StandardCharsets.US_ASCII)));
        vsock.pumpRx();
        Received data = guestReceives();
        assertEquals(VsockHeader.OP_RW, data.header().op());
        assertEquals("pong", new String(data.payload(), StandardCharsets.US_ASCII));
    }

    @Test
    void theDeviceWakesItsEventLoopOnlyForHostThreadsNotForItself() throws Exception {
        try (EventFd wakeup = EventFd.create()) {
            vsock.attached(new SignalOnlyContext(wakeup));
            activate();
            CompletableFuture<VsockStream> accepted = new CompletableFuture<>();
            vsock.muxer().listen(5000, accepted::complete);

            // This thread plays the event loop: the device answers in rx before it returns.
            guestSends(packet(VsockHeader.OP_REQUEST, 49152, 5000, new byte[0], 0));
            assertEquals(VsockHeader.OP_RESPONSE, guestReceives().header().op());
            assertEquals(0, wakeup.drain(), "no eventfd write for work the device does on its own thread");

            VsockStream stream = accepted.get(5, TimeUnit.SECONDS);
            CompletableFuture.runAsync(() -> {
                try {
                    stream.write(ByteBuffer.wrap("pong".getBytes(StandardCharsets.US_ASCII)));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).get(5, TimeUnit.SECONDS);
            assertTrue(wakeup.drain() > 0, "a host thread's data wakes the event loop");
        }
    }

    /** A VM context that offers the device only what vsock uses: its wake-up eventfd. */
    private record SignalOnlyContext(EventFd wakeup) implements PartialDeviceContext {
        @Override
        public EventFd onSignal(Runnable handler) {
            return wakeup;
        }
    }

    @Test
    void requestToAPortNobodyListensOnIsReset() {
        activate();
        guestSends(packet(VsockHeader.OP_REQUEST, 49152, 7777, new byte[0], 0));
        assertEquals(VsockHeader.OP_RST, guestReceives().header().op());
    }

    @Test
    void dataWaitsForRxBuffersAndResumesWhenTheGuestAddsThem() throws Exception {
        activate();
        CompletableFuture<VsockStream> accepted = new CompletableFuture<>();
        vsock.muxer().listen(5000, accepted::complete);
        guestSends(packet(VsockHeader.OP_REQUEST, 49152, 5000, new byte[0], 0));
        guestReceives();
        VsockStream stream = accepted.get(5, TimeUnit.SECONDS);

        int chunks = 12;
        stream.write(ByteBuffer.wrap(new byte[chunks * (RX_BUFFER - VsockHeader.SIZE)]));
        vsock.pumpRx();
        assertEquals(8, rx.used().size(), "every available rx buffer filled, the rest waits");
        for (int i = 0; i < 8; i++) {
            rx.publish(rx.chain(write(RX_BUFFER)));
        }
        driver.write(VirtioMmioTransport.QUEUE_NOTIFY, 0);
        assertEquals(chunks - 8, rx.used().size(), "resumed when the guest added buffers");
    }

    @Test
    void aMalformedChainStopsTheDeviceAndAsksForAReset() {
        activate();
        tx.descriptor(tx.descAddress(), 5, (4 << 20) - 8, 64, 0, 0);
        tx.publish(5);
        interrupts.set(0);
        driver.write(VirtioMmioTransport.QUEUE_NOTIFY, 1);
        assertEquals(0x40, driver.read(VirtioMmioTransport.STATUS) & 0x40, "DEVICE_NEEDS_RESET");
        assertEquals(2, driver.read(VirtioMmioTransport.INTERRUPT_STATUS) & 2, "config change interrupt");
        assertEquals(1, interrupts.get());
    }

    @Test
    void resetDropsEveryConnection() throws Exception {
        activate();
        vsock.muxer().listen(5000, s -> { });
        guestSends(packet(VsockHeader.OP_REQUEST, 49152, 5000, new byte[0], 0));
        assertEquals(1, vsock.muxer().openConnections());
        driver.write(VirtioMmioTransport.STATUS, 0);
        assertEquals(0, vsock.muxer().openConnections());
        assertEquals(0, driver.read(VirtioMmioTransport.STATUS));
    }

    @Test
    void withEventIdxTheBufferGivenBackAfterATransportResetIsNotifiedThoughOthersWait() {
        assertEquals(0xf, driver.probe(transport, VirtioDevice.F_VERSION_1 | VirtioDevice.F_RING_EVENT_IDX, 3));
        events = driver.queues.get(2);
        for (int i = 0; i < 4; i++) {
            events.publish(events.chain(write(4)));   // Linux keeps several event buffers posted
        }
        vsock.transportReset();
        assertTrue(vsock.muxer().transportResetPending());
        assertEquals(1, events.used().size());
        assertTrue(events.publishAndAskNotify(events.chain(write(4))),
                "the guest's buffer given back after the event is notified, with three untaken before it");
        driver.write(VirtioMmioTransport.QUEUE_NOTIFY, 2);
        assertFalse(vsock.muxer().transportResetPending(), "the host knows the guest handled the reset");
    }

    @Test
    void transportResetEventReachesTheEventQueue() {
        activate();
        events.publish(events.chain(write(4)));
        vsock.transportReset();
        List<MockDriver.Used> used = events.used();
        assertEquals(1, used.size());
        assertEquals(4, used.get(0).length());
        assertEquals(0, ByteBuffer.wrap(events.read(events.bufferOf(used.get(0).head()), 4))
                .order(ByteOrder.LITTLE_ENDIAN).getInt(), "VIRTIO_VSOCK_EVENT_TRANSPORT_RESET");
    }
}
