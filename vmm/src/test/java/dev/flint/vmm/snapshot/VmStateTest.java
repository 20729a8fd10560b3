package dev.flint.vmm.snapshot;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VmStateTest {
    private static byte[] filled(int size, int value) {
        byte[] bytes = new byte[size];
        Arrays.fill(bytes, (byte) value);
        return bytes;
    }

    private static byte[] bytes(VmState state) {
        StateOutput out = new StateOutput();
        state.write(out);
        return out.toByteArray();
    }

    @Test
    void writeThenReadGivesTheSameState() throws Exception {
        VmState state = new VmState(filled(112, 1), 123_456_789_012L, filled(512, 2), filled(512, 3), filled(512, 4));
        VmState back = VmState.read(new StateInput(bytes(state), "vm"));
        assertArrayEquals(state.pit2(), back.pit2());
        assertEquals(123_456_789_012L, back.clockNanos());
        assertArrayEquals(state.picMaster(), back.picMaster());
        assertArrayEquals(state.picSlave(), back.picSlave());
        assertArrayEquals(state.ioapic(), back.ioapic());
    }

    @Test
    void aChipOfTheWrongSizeIsCorrupt() {
        VmState state = new VmState(filled(112, 1), 1, filled(512, 2), filled(256, 3), filled(512, 4));
        SnapshotException e = assertThrows(SnapshotException.class, () -> VmState.read(new StateInput(bytes(state), "vm")));
        assertTrue(e.getMessage().contains("a struct of 512 bytes holds 256"), e.getMessage());
        VmState badPit = new VmState(filled(64, 1), 1, filled(512, 2), filled(512, 3), filled(512, 4));
        e = assertThrows(SnapshotException.class, () -> VmState.read(new StateInput(bytes(badPit), "vm")));
        assertTrue(e.getMessage().contains("a struct of 112 bytes holds 64"), e.getMessage());
    }

    @Test
    void aCutShortStateIsCorrupt() {
        byte[] whole = bytes(new VmState(filled(112, 1), 1, filled(512, 2), filled(512, 3), filled(512, 4)));
        assertThrows(SnapshotException.class, () -> VmState.read(new StateInput(Arrays.copyOf(whole, whole.length - 1), "vm")));
    }
}
