package dev.flint.virtio.mmio;

import dev.flint.virtio.VirtioDevice;
import dev.flint.virtio.blk.VirtioBlk;
import dev.flint.virtio.net.BackendStats;
import dev.flint.virtio.net.FrameSink;
import dev.flint.virtio.net.MacAddress;
import dev.flint.virtio.net.NetBackend;
import dev.flint.virtio.net.VirtioNet;
import dev.flint.virtio.queue.MockDriver;
import dev.flint.virtio.vsock.VirtioVsock;
import dev.flint.virtio.vsock.VsockHeader;
import dev.flint.virtio.vsock.VsockMuxer;
import dev.flint.virtio.vsock.VsockStream;
import dev.flint.vmm.snapshot.SnapshotException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each device kind saved with requests in flight and restored into a new device and transport
 * over the same guest memory, driven like Linux drives it: the requests left are served once,
 * and the device goes on.
 */
class DeviceSnapshotTest {
    private static final int SECTORS = 64;
    private static final long CID = 3;
    private static final int RX_BUFFER = 4096;
    private static final MacAddress MAC = MacAddress.parse("52:54:00:12:34:56");

    @TempDir
    Path dir;

    private final LinuxLikeDriver driver = new LinuxLikeDriver();
    private final AtomicInteger interrupts = new AtomicInteger();

    private VirtioMmioTransport transport(VirtioDevice device) {
        VirtioMmioTransport transport = new VirtioMmioTransport(device, driver.memory, interrupts::incrementAndGet,
                device::queueNotify);
        driver.attach(transport);
        return transport;
    }

    private VirtioMmioTransport activated(VirtioDevice device, int queues) {
        VirtioMmioTransport transport = transport(device);
        assertEquals(0xf, driver.probe(transport, VirtioDevice.F_VERSION_1, queues));
        return transport;
    }

    private VirtioMmioTransport restored(VirtioDevice device, byte[] saved) throws SnapshotException {
        VirtioMmioTransport transport = transport(device);
        Snapshots.restore(transport, saved);
        return transport;
    }

    // --- virtio-blk

    private Path image(int sectors) throws Exception {
        return Files.write(dir.resolve("disk.img"), new byte[sectors * VirtioBlk.SECTOR]);
    }

    private static byte[] blkHeader(int type, long sector) {
        return ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(0, type).putLong(8, sector).array();
    }

    private static byte[] sectorOf(int value) {
        byte[] data = new byte[VirtioBlk.SECTOR];
        Arrays.fill(data, (byte) value);
        return data;
    }

    private void writeSector(MockDriver queue, long sector, int value) {
        queue.publish(queue.chain(read(blkHeader(1, sector)), read(sectorOf(value)), write(1)));
    }

    @Test
    void blockWritesAndReadsInFlightAreServedOnceByTheRestoredDisk() throws Exception {
        Path image = image(SECTORS);
        VirtioMmioTransport before = activated(new VirtioBlk(image, false, "disk0"), 1);
        MockDriver queue = driver.queues.get(0);
        for (int i = 0; i < 3; i++) {
            writeSector(queue, i, i + 1);
        }
        driver.write(VirtioMmioTransport.QUEUE_NOTIFY, 0);
        assertEquals(3, queue.used().size());
        writeSector(queue, 3, 4);
        writeSector(queue, 4, 5);
        int readHead = queue.chain(read(blkHeader(0, 1)), write(VirtioBlk.SECTOR), write(1));
        queue.publish(readHead);
        byte[] saved = Snapshots.save(before);

        restored(new VirtioBlk(image, false, "disk0"), saved);
        List<MockDriver.Used> served = queue.used();
        assertEquals(3, served.size(), "the two writes and the read left, once each");
        assertEquals(readHead, served.get(2).head());
        assertEquals(VirtioBlk.SECTOR + 1, served.get(2).length());
        assertArrayEquals(sectorOf(2), queue.read(queue.bufferOf((readHead + 1) % LinuxLikeDriver.QUEUE_SIZE), VirtioBlk.SECTOR));
        byte[] disk = Files.readAllBytes(image);
        for (int i = 0; i < 5; i++) {
            assertArrayEquals(sectorOf(i + 1), Arrays.copyOfRange(disk, i * VirtioBlk.SECTOR, (i + 1) * VirtioBlk.SECTOR));
        }

        writeSector(queue, 5, 6);
        driver.write(VirtioMmioTransport.QUEUE_NOTIFY, 0);
        assertEquals(1, queue.used().size(), "the restored disk serves new requests");
        assertEquals(6, Files.readAllBytes(image)[5 * VirtioBlk.SECTOR]);
    }

    @Test
    void aDiskThatChangedSizeOrModeSinceTheSnapshotIsRefused() throws Exception {
        Path image = image(SECTORS);
        byte[] saved = Snapshots.save(activated(new VirtioBlk(image, false, "disk0"), 1));
        Files.write(image, new byte[VirtioBlk.SECTOR], java.nio.file.StandardOpenOption.APPEND);
        SnapshotException grown = assertThrows(SnapshotException.class,
                () -> restored(new VirtioBlk(image, false, "disk0"), saved));
        assertTrue(grown.getMessage().contains("disk 'disk0' changed size since the snapshot"), grown.getMessage());

        Path same = image(SECTORS);
        SnapshotException readOnly = assertThrows(SnapshotException.class,
                () -> restored(new VirtioBlk(same, true, "disk0"), Snapshots.save(activated(new VirtioBlk(same, false, "disk0"), 1))));
        assertTrue(readOnly.getMessage().contains("offers only") || readOnly.getMessage().contains("writable"),
                readOnly.getMessage());
        SnapshotException id = assertThrows(SnapshotException.class,
                () -> restored(new VirtioBlk(same, false, "disk1"), Snapshots.save(activated(new VirtioBlk(same, false, "disk0"), 1))));
        assertTrue(id.getMessage().contains("had the id 'disk0'"), id.getMessage());
    }

    // --- virtio-net

    /** Keeps the frames the guest sent. */
    private static final class Recorder implements NetBackend {
        final List<byte[]> sent = new ArrayList<>();
        FrameSink guest;

        @Override
        public void start(FrameSink toGuest) {
            guest = toGuest;
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
        }
    }

    private static void transmit(MockDriver tx, int seed) {
        byte[] frame = new byte[60];
        Arrays.fill(frame, (byte) seed);
        tx.publish(tx.chain(read(new byte[12]), read(frame)));
    }

    @Test
    void framesTheGuestQueuedBeforeTheSnapshotLeaveThroughTheNewBackendOnce() throws SnapshotException {
        Recorder old = new Recorder();
        VirtioMmioTransport before = activated(new VirtioNet(MAC, old), 2);
        MockDriver tx = driver.queues.get(1);
        transmit(tx, 1);
        transmit(tx, 2);
        driver.write(VirtioMmioTransport.QUEUE_NOTIFY, 1);
        assertEquals(2, old.sent.size());
        transmit(tx, 3);
        byte[] saved = Snapshots.save(before);

        Recorder fresh = new Recorder();
        restored(new VirtioNet(MAC, fresh), saved);
        assertEquals(1, fresh.sent.size(), "the tx queue is served after restore (Firecracker #5969)");
        assertEquals(3, fresh.sent.get(0)[0]);
        assertEquals(3, tx.used().size());
        transmit(tx, 4);
        driver.write(VirtioMmioTransport.QUEUE_NOTIFY, 1);
        assertEquals(2, fresh.sent.size());
        assertEquals(2, old.sent.size());
    }

    @Test
    void anRxBufferHeldForAMergedFrameIsGivenBackAndUsedAfterRestore() throws SnapshotException {
        long mergeable = 1L << 15;
        Recorder old = new Recorder();
        VirtioNet before = new VirtioNet(MAC, old);
        VirtioMmioTransport transport = transport(before);
        assertEquals(0xf, driver.probe(transport, VirtioDevice.F_VERSION_1 | mergeable, 2));
        MockDriver rx = driver.queues.get(0);
        int first = rx.chain(write(1024));
        rx.publish(first);
        old.guest.toGuest(new byte[1500]);
        before.pumpRx();
        assertEquals(List.of(), rx.used(), "a 1500-byte frame waits for a second buffer, holding the first");
        assertEquals(1, before.heldChains(0));
        byte[] saved = Snapshots.save(transport);

        Recorder fresh = new Recorder();
        VirtioNet after = new VirtioNet(MAC, fresh);
        restored(after, saved);
        int second = rx.chain(write(1024));
        rx.publish(second);
        fresh.guest.toGuest(new byte[1500]);
        after.pumpRx();
        assertEquals(List.of(first, second), rx.used().stream().map(MockDriver.Used::head).toList(),
                "the frame (the backend's new one: frames in flight are lost) spans the held buffer and the new one");
    }

    @Test
    void aNicWithAnotherMacIsRefused() throws SnapshotException {
        byte[] saved = Snapshots.save(activated(new VirtioNet(MAC, new Recorder()), 2));
        SnapshotException e = assertThrows(SnapshotException.class,
                () -> restored(new VirtioNet(MacAddress.parse("52:54:00:00:00:01"), new Recorder()), saved));
        assertTrue(e.getMessage().contains("52:54:00:12:34:56"), e.getMessage());
    }

    // --- virtio-vsock

    private static byte[] vsockPacket(int op, int srcPort, int dstPort) {
        return new VsockHeader(CID, VsockMuxer.HOST_CID, srcPort, dstPort, 0, VsockHeader.TYPE_STREAM, op, 0, 65536, 0)
                .encode();
    }

    private void guestSends(MockDriver tx, byte[] packet) {
        tx.publish(tx.chain(read(packet)));
        driver.write(VirtioMmioTransport.QUEUE_NOTIFY, 1);
    }

    private static List<VsockHeader> received(MockDriver rx) {
        List<VsockHeader> headers = new ArrayList<>();
        for (MockDriver.Used used : rx.used()) {
            headers.add(VsockHeader.decode(ByteBuffer.wrap(rx.read(rx.bufferOf(used.head()), VsockHeader.SIZE))));
        }
        return headers;
    }

    @Test
    void afterRestoreTheGuestGetsATransportResetAndNewConnectionsWork() throws Exception {
        VirtioVsock old = new VirtioVsock(CID);
        VirtioMmioTransport before = activated(old, 3);
        MockDriver rx = driver.queues.get(0);
        MockDriver tx = driver.queues.get(1);
        MockDriver events = driver.queues.get(2);
        for (int i = 0; i < 8; i++) {
            rx.publish(rx.chain(write(RX_BUFFER)));
        }
        events.publish(events.chain(write(4)));
        old.muxer().listen(5000, s -> { });
        guestSends(tx, vsockPacket(VsockHeader.OP_REQUEST, 49152, 5000));
        assertEquals(VsockHeader.OP_RESPONSE, received(rx).get(0).op());
        assertEquals(1, old.muxer().openConnections());
        assertEquals(1, old.heldChains(0), "an rx buffer waits popped for the next packet");
        byte[] saved = Snapshots.save(before);

        VirtioVsock vsock = new VirtioVsock(CID);
        restored(vsock, saved);
        List<MockDriver.Used> event = events.used();
        assertEquals(1, event.size());
        assertEquals(0, ByteBuffer.wrap(events.read(events.bufferOf(event.get(0).head()), 4))
                .order(ByteOrder.LITTLE_ENDIAN).getInt(), "VIRTIO_VSOCK_EVENT_TRANSPORT_RESET");
        assertEquals(0, vsock.muxer().openConnections(), "the muxer starts clean");

        CompletableFuture<VsockStream> accepted = new CompletableFuture<>();
        vsock.muxer().listen(5000, accepted::complete);
        guestSends(tx, vsockPacket(VsockHeader.OP_REQUEST, 49153, 5000));
        assertEquals(List.of(VsockHeader.OP_RESPONSE), received(rx).stream().map(VsockHeader::op).toList());
        VsockStream stream = accepted.get(5, TimeUnit.SECONDS);
        stream.write(ByteBuffer.wrap(new byte[7 * (RX_BUFFER - VsockHeader.SIZE)]));
        vsock.pumpRx();
        assertEquals(6, received(rx).size(), "the 8 rx buffers less the two responses: the one held at the snapshot too");
    }

    @Test
    void hostConnectsWaitUntilTheGuestHasHandledTheTransportReset() throws Exception {
        VirtioVsock old = new VirtioVsock(CID);
        VirtioMmioTransport before = activatedWithBuffers(old);
        MockDriver rx = driver.queues.get(0);
        MockDriver events = driver.queues.get(2);
        byte[] saved = Snapshots.save(before);

        VirtioVsock vsock = new VirtioVsock(CID);
        restored(vsock, saved);
        assertTrue(vsock.muxer().transportResetPending(), "the reset went to the guest");
        // A connect now would be accepted and then dropped by the reset with no word to the host.
        IOException early = assertThrows(IOException.class, () -> vsock.muxer().connect(1024, Duration.ofMillis(50)));
        assertTrue(early.getMessage().contains("has not handled the transport reset"), early.getMessage());
        assertTrue(received(rx).isEmpty(), "no request reached the guest before it handled the reset");

        events.publish(events.chain(write(4)));          // the guest handled the event and gave a buffer back
        driver.write(VirtioMmioTransport.QUEUE_NOTIFY, 2);
        assertFalse(vsock.muxer().transportResetPending());
        assertTrue(hostConnects(vsock, rx) >= 0);
    }

    @Test
    void aRestoredDeviceConnectsFromHostPortsTheSavedGuestNeverSaw() throws Exception {
        VirtioVsock old = new VirtioVsock(CID);
        VirtioMmioTransport before = activatedWithBuffers(old);
        MockDriver rx = driver.queues.get(0);
        MockDriver events = driver.queues.get(2);
        int agentPort = hostConnects(old, rx);   // the saved guest holds this connection, reset but not yet closed
        byte[] saved = Snapshots.save(before);

        VirtioVsock vsock = new VirtioVsock(CID);
        restored(vsock, saved);
        events.publish(events.chain(write(4)));
        driver.write(VirtioMmioTransport.QUEUE_NOTIFY, 2);
        assertEquals(agentPort + 1, hostConnects(vsock, rx), "a port after every one the saved guest saw");
    }

    /** {@code device} activated with four rx buffers and one event buffer published. */
    private VirtioMmioTransport activatedWithBuffers(VirtioVsock device) {
        VirtioMmioTransport transport = activated(device, 3);
        MockDriver rx = driver.queues.get(0);
        for (int i = 0; i < 4; i++) {
            rx.publish(rx.chain(write(RX_BUFFER)));
        }
        MockDriver events = driver.queues.get(2);
        events.publish(events.chain(write(4)));
        return transport;
    }

    /** A host connect to guest port 1024 that the guest accepts; the host port its request came from. */
    private int hostConnects(VirtioVsock vsock, MockDriver rx) throws Exception {
        CompletableFuture<VsockStream> connected = CompletableFuture.supplyAsync(() -> {
            try {
                return vsock.muxer().connect(1024, Duration.ofSeconds(10));
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        List<VsockHeader> requests = List.of();
        for (int tries = 0; tries < 500 && requests.isEmpty(); tries++) {
            vsock.pumpRx();
            requests = received(rx);
            Thread.sleep(10);
        }
        assertEquals(List.of(VsockHeader.OP_REQUEST), requests.stream().map(VsockHeader::op).toList());
        int hostPort = requests.get(0).srcPort();
        guestSends(driver.queues.get(1), vsockPacket(VsockHeader.OP_RESPONSE, 1024, hostPort));
        assertTrue(connected.get(10, TimeUnit.SECONDS) != null);
        return hostPort;
    }

    @Test
    void aVsockWithAnotherCidIsRefused() throws SnapshotException {
        byte[] saved = Snapshots.save(activated(new VirtioVsock(CID), 3));
        SnapshotException e = assertThrows(SnapshotException.class, () -> restored(new VirtioVsock(CID + 1), saved));
        assertTrue(e.getMessage().contains("guest CID 3"), e.getMessage());
    }
}
