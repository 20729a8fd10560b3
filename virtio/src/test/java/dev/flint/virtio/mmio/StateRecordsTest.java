package dev.flint.virtio.mmio;

import dev.flint.virtio.blk.VirtioBlkState;
import dev.flint.virtio.net.MacAddress;
import dev.flint.virtio.net.VirtioNetState;
import dev.flint.virtio.queue.VirtqueueState;
import dev.flint.vmm.snapshot.SnapshotException;
import dev.flint.vmm.snapshot.StateInput;
import dev.flint.vmm.snapshot.StateOutput;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every virtio state record written and read back, and the bounds its reader enforces. */
class StateRecordsTest {
    private static StateInput written(Consumer<StateOutput> writer) {
        StateOutput out = new StateOutput();
        writer.accept(out);
        return new StateInput(out.toByteArray(), "a test record");
    }

    @Test
    void theTransportStateWithItsQueuesRoundTrips() throws SnapshotException {
        VirtioMmioState state = new VirtioMmioState(0xf, true, 1, 0, 0x1_2000_0000L, 2, 3, List.of(
                new VirtioMmioState.Queue(256, true, 0x1000, 0x4000, 0x5000, new VirtqueueState(65535, 65530, 65529, true)),
                new VirtioMmioState.Queue(3, false, -1, 7, 8, null)));
        StateInput in = written(state::write);
        assertEquals(state, VirtioMmioState.read(in));
        in.expectEnd();
    }

    @Test
    void aTransportStateOutsideItsBoundsIsRefused() {
        String status = assertThrows(SnapshotException.class, () -> VirtioMmioState.read(written(out -> out.writeInt(0x100))))
                .getMessage();
        assertTrue(status.contains("the device status is 256"), status);
        String interrupt = assertThrows(SnapshotException.class, () -> VirtioMmioState.read(written(out -> out.writeInt(0xf)
                .writeBoolean(false).writeInt(0).writeInt(0).writeLong(0).writeInt(0).writeInt(4)))).getMessage();
        assertTrue(interrupt.contains("the interrupt status is 4"), interrupt);
        String count = assertThrows(SnapshotException.class, () -> VirtioMmioState.read(written(out -> out.writeInt(0xf)
                .writeBoolean(false).writeInt(0).writeInt(0).writeLong(0).writeInt(0).writeInt(0).writeInt(65)))).getMessage();
        assertTrue(count.contains("the queue count is 65"), count);
    }

    @Test
    void theBlockAndNetStatesRoundTripAndRefuseWhatNoDeviceHas() throws SnapshotException {
        VirtioBlkState blk = new VirtioBlkState(1L << 40, true, "disk-0".getBytes());
        VirtioBlkState blkRead = VirtioBlkState.read(written(blk::write));
        assertEquals(blk.capacitySectors(), blkRead.capacitySectors());
        assertEquals(blk.readOnly(), blkRead.readOnly());
        assertArrayEquals(blk.id(), blkRead.id());
        assertThrows(SnapshotException.class, () -> VirtioBlkState.read(written(
                new VirtioBlkState(1, false, new byte[21])::write)), "an id over 20 bytes");

        VirtioNetState net = new VirtioNetState(MacAddress.parse("52:54:00:12:34:56"));
        assertEquals(net, VirtioNetState.read(written(net::write)));
        assertThrows(SnapshotException.class, () -> VirtioNetState.read(written(out -> out.writeBytes(new byte[5]))));
        String multicast = assertThrows(SnapshotException.class, () -> VirtioNetState.read(written(
                out -> out.writeBytes(new byte[] {1, 2, 3, 4, 5, 6})))).getMessage();
        assertTrue(multicast.contains("not a NIC's"), multicast);
    }
}
