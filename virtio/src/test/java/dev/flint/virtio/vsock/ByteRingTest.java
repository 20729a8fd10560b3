package dev.flint.virtio.vsock;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** A connection's buffer: grown as bytes arrive, never past its capacity, always in order. */
class ByteRingTest {
    private static byte[] counting(int length, int from) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (from + i);
        }
        return bytes;
    }

    @Test
    void anIdleRingHoldsOnlyItsInitialStorage() {
        ByteRing ring = new ByteRing(256 * 1024);
        assertEquals(ByteRing.INITIAL_STORAGE, ring.storage());
        assertEquals(256 * 1024, ring.capacity());
        assertEquals(256 * 1024, ring.free());
    }

    @Test
    void growsAsBytesArriveKeepingTheirOrderAcrossTheWrap() {
        ByteRing ring = new ByteRing(64 * 1024);
        ring.put(counting(3000, 0), 0, 3000);
        byte[] first = new byte[2000];
        ring.take(first, 0, 2000);
        assertArrayEquals(counting(2000, 0), first);
        // 1000 bytes left near the end of the 4 KiB storage; 10000 more wrap and force a grow.
        assertEquals(10_000, ring.put(counting(10_000, 3000), 0, 10_000));
        assertEquals(16 * 1024, ring.storage());
        byte[] rest = new byte[11_000];
        assertEquals(11_000, ring.take(rest, 0, 20_000));
        assertArrayEquals(counting(11_000, 2000), rest);
    }

    @Test
    void neverHoldsMoreThanItsCapacity() {
        ByteRing ring = new ByteRing(5000);
        assertEquals(5000, ring.put(new byte[6000], 0, 6000));
        assertEquals(5000, ring.storage());
        assertEquals(0, ring.free());
        assertEquals(0, ring.put(new byte[1], 0, 1));
    }
}
