package dev.flint.vmm.snapshot;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StateCodecTest {
    @Test
    void everyValueReadsBackAsWritten() throws SnapshotException {
        byte[] bytes = new StateOutput().writeByte(0xfe).writeBoolean(true).writeShort(0xbeef).writeInt(-7)
                .writeLong(0x0123_4567_89ab_cdefL).writeBytes(new byte[] {1, 2, 3}).writeString("vsock")
                .writeSection("serial", out -> out.writeInt(42)).toByteArray();
        StateInput in = new StateInput(bytes, "test");
        assertEquals(0xfe, in.readByte());
        assertTrue(in.readBoolean());
        assertEquals(0xbeef, in.readShort());
        assertEquals(-7, in.readInt());
        assertEquals(0x0123_4567_89ab_cdefL, in.readLong());
        assertArrayEquals(new byte[] {1, 2, 3}, in.readBytes(3));
        assertEquals("vsock", in.readString(16));
        StateInput serial = in.readSection("serial");
        assertEquals(42, serial.readInt());
        serial.expectEnd();
        in.expectEnd();
    }

    @Test
    void aSegmentRoundTripsAndMustMatchItsSize() throws SnapshotException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment lapic = arena.allocate(8);
            lapic.set(JAVA_BYTE, 3, (byte) 9);
            byte[] bytes = new StateOutput().writeSegment(lapic).toByteArray();
            MemorySegment restored = arena.allocate(8);
            new StateInput(bytes, "lapic").readSegment(restored);
            assertEquals(9, restored.get(JAVA_BYTE, 3));
            SnapshotException wrongSize = assertThrows(SnapshotException.class,
                    () -> new StateInput(bytes, "lapic").readSegment(arena.allocate(16)));
            assertTrue(wrongSize.getMessage().contains("a struct of 16 bytes holds 8"), wrongSize.getMessage());
        }
    }

    @Test
    void aCutShortStateIsACorruptSnapshotNotAnUncheckedError() {
        byte[] bytes = new StateOutput().writeLong(1).toByteArray();
        SnapshotException e = assertThrows(SnapshotException.class,
                () -> new StateInput(java.util.Arrays.copyOf(bytes, 5), "pit").readLong());
        assertTrue(e.getMessage().contains("saved state of pit is corrupt"), e.getMessage());
    }

    @Test
    void aHugeLengthIsRefusedBeforeAnyAllocation() {
        byte[] bytes = new StateOutput().writeInt(Integer.MAX_VALUE).toByteArray();
        SnapshotException e = assertThrows(SnapshotException.class, () -> new StateInput(bytes, "queue").readBytes(4096));
        assertTrue(e.getMessage().contains("outside 0..4096"), e.getMessage());
    }

    @Test
    void aSectionOfAnotherDeviceAndLeftoverBytesAreErrors() throws SnapshotException {
        byte[] bytes = new StateOutput().writeSection("virtio-blk", out -> out.writeInt(1)).toByteArray();
        SnapshotException other = assertThrows(SnapshotException.class,
                () -> new StateInput(bytes, "vm").readSection("virtio-net"));
        assertTrue(other.getMessage().contains("expected the state of virtio-net, found virtio-blk"), other.getMessage());
        StateInput in = new StateInput(new StateOutput().writeInt(1).writeInt(2).toByteArray(), "i8042");
        in.readInt();
        assertThrows(SnapshotException.class, in::expectEnd);
        assertThrows(SnapshotException.class, () -> new StateInput(new byte[] {2}, "x").readBoolean());
    }
}
