package dev.flint.virtio.mmio;

import dev.flint.virtio.VirtioDevice;
import dev.flint.virtio.queue.MockDriver;
import dev.flint.virtio.queue.VirtqueueState;
import dev.flint.virtio.rng.VirtioRng;
import dev.flint.vmm.snapshot.SnapshotException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.flint.virtio.queue.MockDriver.Part.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The transport and its queues saved mid-flight and restored into a new device and transport
 * over the same guest memory (rng: the device has no state of its own), and the saved states a
 * restore refuses.
 */
class VirtioMmioSnapshotTest {
    private final LinuxLikeDriver driver = new LinuxLikeDriver();
    private final AtomicInteger interrupts = new AtomicInteger();
    private final VirtioMmioTransport transport = transport(new VirtioRng());
    private MockDriver queue;

    private VirtioMmioTransport transport(VirtioDevice device) {
        return new VirtioMmioTransport(device, driver.memory, interrupts::incrementAndGet, device::queueNotify);
    }

    private int request() {
        int head = queue.chain(write(32));
        queue.publish(head);
        return head;
    }

    /** Three requests served, two more published but not yet notified. */
    private List<Integer> midFlight() {
        return midFlight(2);
    }

    /** Three requests served, {@code waiting} more published but not yet notified. */
    private List<Integer> midFlight(int waiting) {
        assertEquals(0xf, driver.probe(transport, VirtioDevice.F_VERSION_1, 1));
        queue = driver.queues.get(0);
        for (int i = 0; i < 3; i++) {
            request();
        }
        driver.write(VirtioMmioTransport.QUEUE_NOTIFY, 0);
        assertEquals(3, queue.used().size());
        List<Integer> heads = new ArrayList<>();
        for (int i = 0; i < waiting; i++) {
            heads.add(request());
        }
        return heads;
    }

    @Test
    void aRestoredQueueServesTheRequestsLeftAndCarriesOnWithoutServingOneTwice() throws SnapshotException {
        List<Integer> waiting = midFlight();
        byte[] saved = Snapshots.save(transport);

        VirtioMmioTransport restored = transport(new VirtioRng());
        driver.attach(restored);
        interrupts.set(0);
        Snapshots.restore(restored, saved);

        List<Integer> served = new ArrayList<>();
        queue.used().forEach(u -> served.add(u.head()));
        assertEquals(waiting, served, "the restore serves what the driver published before the snapshot, once");
        assertTrue(interrupts.get() > 0);
        int next = request();
        driver.write(VirtioMmioTransport.QUEUE_NOTIFY, 0);
        List<MockDriver.Used> after = queue.used();
        assertEquals(1, after.size());
        assertEquals(next, after.get(0).head());
        assertEquals(32, after.get(0).length());
        driver.write(VirtioMmioTransport.QUEUE_NOTIFY, 0);
        assertEquals(List.of(), queue.used(), "a notification with nothing new serves nothing");
    }

    @Test
    void theRegistersTheDriverProgrammedSurvive() throws SnapshotException {
        midFlight(0);
        driver.write(VirtioMmioTransport.DEVICE_FEATURES_SEL, 1);
        byte[] saved = Snapshots.save(transport);
        VirtioMmioTransport restored = transport(new VirtioRng());
        Snapshots.restore(restored, saved);
        driver.attach(restored);
        assertEquals(0xf, driver.read(VirtioMmioTransport.STATUS));
        assertEquals(1, driver.read(VirtioMmioTransport.QUEUE_READY));
        assertEquals(1, driver.read(VirtioMmioTransport.DEVICE_FEATURES), "the high feature word is selected");
        assertEquals(transport.captureState(), restored.captureState());
    }

    @Test
    void anInterruptTheDriverHadNotAcknowledgedIsRaisedAgain() throws SnapshotException {
        midFlight(0);
        byte[] pending = Snapshots.save(transport);
        driver.write(VirtioMmioTransport.INTERRUPT_ACK, 1);
        byte[] acknowledged = Snapshots.save(transport);

        VirtioMmioTransport restored = transport(new VirtioRng());
        driver.attach(restored);
        interrupts.set(0);
        Snapshots.restore(restored, pending);
        assertEquals(1, interrupts.get());
        assertEquals(1, driver.read(VirtioMmioTransport.INTERRUPT_STATUS));

        interrupts.set(0);
        Snapshots.restore(transport(new VirtioRng()), acknowledged);
        assertEquals(0, interrupts.get(), "nothing pending, nothing to serve: no interrupt");
    }

    @Test
    void aDeviceTheDriverNeverActivatedRestoresAsItWas() throws SnapshotException {
        driver.attach(transport);
        driver.write(VirtioMmioTransport.STATUS, 1);
        byte[] saved = Snapshots.save(transport);
        VirtioMmioTransport restored = transport(new VirtioRng());
        Snapshots.restore(restored, saved);
        driver.attach(restored);
        assertEquals(1, driver.read(VirtioMmioTransport.STATUS));
        assertEquals(0xf, driver.probe(restored, VirtioDevice.F_VERSION_1, 1), "the driver can still probe it");
    }

    @Test
    void aDeviceWithoutSnapshotSupportIsNamedInTheError() {
        VirtioDevice unsupported = new VirtioDevice() {
            public int deviceId() { return 42; }
            public long features() { return 0; }
            public int queueCount() { return 1; }
            public int maxQueueSize() { return 64; }
            public void readConfig(long offset, java.lang.foreign.MemorySegment data) { }
            public void activate(List<dev.flint.virtio.queue.Virtqueue> queues, long negotiated, DriverSignals driver) { }
            public void queueNotify(int index) { }
            public void reset() { }
        };
        SnapshotException e = assertThrows(SnapshotException.class, () -> Snapshots.save(transport(unsupported)));
        assertTrue(e.getMessage().contains("virtio device 42 cannot be saved"), e.getMessage());
    }

    private VirtioMmioState savedState() {
        midFlight();
        return transport.captureState();
    }

    private SnapshotException refused(VirtioMmioState state) {
        VirtioMmioTransport restored = transport(new VirtioRng());
        return assertThrows(SnapshotException.class,
                () -> Snapshots.restore(restored, Snapshots.section("virtio-rng", state, new byte[0])));
    }

    private static VirtioMmioState withQueue(VirtioMmioState state, VirtioMmioState.Queue queue) {
        return new VirtioMmioState(state.status(), state.failed(), state.deviceFeaturesSel(), state.driverFeaturesSel(),
                state.driverFeatures(), state.queueSel(), state.interruptStatus(), List.of(queue));
    }

    @Test
    void aQueueSizeThatIsNoPowerOfTwoOrOverTheDevicesMaximumIsRefused() {
        VirtioMmioState state = savedState();
        VirtioMmioState.Queue q = state.queues().get(0);
        String odd = refused(withQueue(state, new VirtioMmioState.Queue(48, true, q.desc(), q.driver(), q.device(), q.active())))
                .getMessage();
        assertTrue(odd.contains("power of two"), odd);
        String big = refused(withQueue(state, new VirtioMmioState.Queue(128, true, q.desc(), q.driver(), q.device(), q.active())))
                .getMessage();
        assertTrue(big.contains("over the device's 64"), big);
    }

    @Test
    void aRingOutsideGuestMemoryIsRefused() {
        VirtioMmioState state = savedState();
        VirtioMmioState.Queue q = state.queues().get(0);
        String message = refused(withQueue(state, new VirtioMmioState.Queue(q.size(), true, q.desc(), q.driver(),
                (4L << 20) - 16, q.active()))).getMessage();
        assertTrue(message.contains("outside guest RAM"), message);
    }

    @Test
    void indicesThatDoNotMatchTheRingsAreRefused() {
        VirtioMmioState state = savedState();
        VirtioMmioState.Queue q = state.queues().get(0);
        VirtqueueState wrongUsed = new VirtqueueState(q.active().nextAvail(), 9, 0, false);
        assertTrue(refused(withQueue(state, new VirtioMmioState.Queue(q.size(), true, q.desc(), q.driver(), q.device(),
                wrongUsed))).getMessage().contains("used index"));
        VirtqueueState tooMany = new VirtqueueState((q.active().nextUsed() + 65) & 0xffff, q.active().nextUsed(), 0, false);
        assertTrue(refused(withQueue(state, new VirtioMmioState.Queue(q.size(), true, q.desc(), q.driver(), q.device(),
                tooMany))).getMessage().contains("chains out"));
    }

    @Test
    void anotherQueueCountFeaturesTheDeviceLacksOrHalfActiveQueuesAreRefused() {
        VirtioMmioState state = savedState();
        VirtioMmioState twoQueues = new VirtioMmioState(state.status(), false, 0, 0, state.driverFeatures(), 0, 0,
                List.of(state.queues().get(0), state.queues().get(0)));
        assertTrue(refused(twoQueues).getMessage().contains("2 queues"));
        VirtioMmioState indirect = new VirtioMmioState(state.status(), false, 0, 0,
                state.driverFeatures() | VirtioDevice.F_RING_INDIRECT_DESC, 0, 0, state.queues());
        assertTrue(refused(indirect).getMessage().contains("offers only"));
        VirtioMmioState notOk = new VirtioMmioState(0xb, false, 0, 0, state.driverFeatures(), 0, 0, state.queues());
        assertTrue(refused(notOk).getMessage().contains("DRIVER_OK"));
    }

    @Test
    void aSectionOfAnotherDeviceOrWithBytesLeftIsRefused() throws SnapshotException {
        VirtioMmioState state = savedState();
        VirtioMmioTransport restored = transport(new VirtioRng());
        SnapshotException other = assertThrows(SnapshotException.class,
                () -> Snapshots.restore(restored, Snapshots.section("virtio-blk", state, new byte[0])));
        assertTrue(other.getMessage().contains("expected the state of virtio-rng, found virtio-blk"), other.getMessage());
        SnapshotException longer = assertThrows(SnapshotException.class,
                () -> Snapshots.restore(transport(new VirtioRng()), Snapshots.section("virtio-rng", state, new byte[] {1})));
        assertTrue(longer.getMessage().contains("left unread"), longer.getMessage());
        byte[] saved = Snapshots.save(transport);
        Set<String> messages = new HashSet<>();
        for (int cut = 1; cut < saved.length; cut += 7) {
            byte[] truncated = java.util.Arrays.copyOf(saved, cut);
            messages.add(assertThrows(SnapshotException.class,
                    () -> Snapshots.restore(transport(new VirtioRng()), truncated)).getClass().getName());
        }
        assertEquals(Set.of(SnapshotException.class.getName()), messages, "every truncation is a SnapshotException");
    }
}
